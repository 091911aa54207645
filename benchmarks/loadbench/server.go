package loadbench

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Body is what GET /hello answers: 13 bytes.
const Body = "Hello, World!"

// Hello is the handler of every variant: a ServeMux with GET /hello.
func Hello() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, Body)
	})
	return mux
}

// Env is what a variant is built from.
type Env struct {
	// Handler is [Hello]'s mux.
	Handler http.Handler
	// TLS is nil for HTTP/1.1 in clear text; for HTTP/2 over TLS it holds
	// an ECDSA P-256 certificate for 127.0.0.1, whose files are CertFile
	// and KeyFile.
	TLS               *tls.Config
	CertFile, KeyFile string
}

// Server serves a variant on l until the process ends.
type Server interface {
	Serve(l net.Listener) error
}

// Variant builds one server under measurement.
type Variant struct {
	// Doc says what the variant is, for the report.
	Doc string
	// New builds the server.
	New func(Env) (Server, error)
}

// Plain is a bare net/http server for h around e's handler: TLS with
// HTTP/2 when e has a TLS config, clear-text HTTP/1.1 otherwise.
func Plain(e Env, mw func(http.Handler) http.Handler) Server {
	h := e.Handler
	if mw != nil {
		h = mw(h)
	}
	return plain{hs: &http.Server{Handler: h, ReadHeaderTimeout: time.Minute, TLSConfig: e.TLS}}
}

type plain struct{ hs *http.Server }

func (p plain) Serve(l net.Listener) error {
	if p.hs.TLSConfig != nil {
		return p.hs.ServeTLS(l, "", "")
	}
	return p.hs.Serve(l)
}

// Middleware is the variant of a bare net/http server with the
// middleware mw builds around the handler.
func Middleware(doc string, mw func() func(http.Handler) http.Handler) Variant {
	return Variant{Doc: doc, New: func(e Env) (Server, error) { return Plain(e, mw()), nil }}
}

// Production is the telemetry of the "production" variants: a zap logger
// with the JSON production encoder writing to a sink that discards, and
// an OTel SDK tracer provider sampling 1% of new traces
// (ParentBased(TraceIDRatioBased(0.01))) whose batch processor exports
// to an exporter that discards.
func Production() (*zap.Logger, *trace.TracerProvider) {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	logger := zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	tp := trace.NewTracerProvider(
		trace.WithSampler(trace.ParentBased(trace.TraceIDRatioBased(0.01))),
		trace.WithBatcher(discardExporter{}),
	)
	return logger, tp
}

type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []trace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                          { return nil }

// ServerMain is the main of a server process. It serves the variant named
// by -variant on 127.0.0.1, with TLS and HTTP/2 when -tls is given,
// prints "addr ADDR gomaxprocs N" on stdout once it listens, and exits
// when stdin closes or on SIGTERM, writing the CPU profile of -cpuprofile
// if asked.
func ServerMain(variants map[string]Variant) {
	name := flag.String("variant", "", "the variant to serve")
	useTLS := flag.Bool("tls", false, "serve HTTP/2 over TLS")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	list := flag.Bool("list", false, "list the variants and exit")
	flag.Parse()
	if *list {
		names := make([]string, 0, len(variants))
		for n := range variants {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%-24s %s\n", n, variants[n].Doc)
		}
		return
	}
	if err := serveMain(variants, *name, *useTLS, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func serveMain(variants map[string]Variant, name string, useTLS bool, cpuprofile string) error {
	v, ok := variants[name]
	if !ok {
		return fmt.Errorf("unknown variant %q (-list lists them)", name)
	}
	e := Env{Handler: Hello()}
	if useTLS {
		dir, err := os.MkdirTemp("", "loadbench-cert")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		e.CertFile, e.KeyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if e.TLS, err = selfSigned(e.CertFile, e.KeyFile); err != nil {
			return err
		}
	}
	srv, err := v.New(e)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	fmt.Printf("addr %s gomaxprocs %d\n", l.Addr(), runtime.GOMAXPROCS(0))

	stdin := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(stdin)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	select {
	case err := <-served:
		return err
	case <-stdin:
	case <-sig:
	}
	return nil
}

// selfSigned writes an ECDSA P-256 certificate for 127.0.0.1 and its key
// to certFile and keyFile and returns a TLS config that serves it.
func selfSigned(certFile, keyFile string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}, nil
}
