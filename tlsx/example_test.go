package tlsx_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// An mTLS service: the server requires client certificates from its
// client CA and admits one SPIFFE ID prefix; the client presents its
// certificate and verifies the server against its CA file. Both reload
// their files when they change. In a test, pass t where the example
// passes tb.
func Example() {
	tb := newExampleTB()
	defer tb.cleanup()
	ca := tlstest.NewCA(tb)
	srvCert, cliCert := ca.Server(tb), ca.Client(tb, "spiffe://example.org/ns/prod/sa/web")
	ctx := context.Background()

	server, err := tlsx.NewServerSource(ctx, tlsx.ServerConfig{
		CertFile:       srvCert.CertFile,
		KeyFile:        srvCert.KeyFile,
		ClientCAFile:   ca.CertFile,
		AllowedClients: tlsx.Identities{URIPrefixes: []string{"spiffe://example.org/ns/prod/"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s over %s", r.TLS.PeerCertificates[0].URIs[0], r.Proto)
	})}
	go hs.Serve(server.Listener(ln))
	defer hs.Close()

	client, err := tlsx.NewClientSource(ctx, tlsx.ClientConfig{
		CAFile:   ca.CertFile,
		CertFile: cliCert.CertFile,
		KeyFile:  cliCert.KeyFile,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	tr := &http.Transport{TLSClientConfig: client.TLSConfig(), ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	resp, err := (&http.Client{Transport: tr}).Get("https://localhost:" + port)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output:
	// hello spiffe://example.org/ns/prod/sa/web over HTTP/2.0
}

// Validate reports every problem at once, each with the key path, the
// rule and the fix.
func ExampleServerConfig_Validate() {
	tb := newExampleTB()
	defer tb.cleanup()
	srv := tlstest.NewCA(tb).Server(tb)
	cfg := tlsx.ServerConfig{
		CertFile:     srv.CertFile,
		KeyFile:      srv.KeyFile,
		ClientCAFile: srv.CertFile, // a leaf, not a CA
		ClientAuth:   "require-any",
		MinVersion:   "1.1",
	}
	for _, ce := range harden.ConfigErrors(cfg.Validate()) {
		fmt.Println(ce.Field, ce.Rule)
	}
	// Output:
	// tls.client_auth client-auth-ignores-ca
	// tls.min_version min-version
	// tls.client_ca_file ca-not-ca
}

// Explain turns a handshake error into a kind, the side that refused,
// and the fix: here a client without certificate meets an mTLS server,
// and under TLS 1.3 learns of it on its first read.
func ExampleExplain() {
	tb := newExampleTB()
	defer tb.cleanup()
	ca := tlstest.NewCA(tb)
	srvCert := ca.Server(tb)
	server, err := tlsx.NewServerSource(context.Background(), tlsx.ServerConfig{
		CertFile: srvCert.CertFile, KeyFile: srvCert.KeyFile, ClientCAFile: ca.CertFile,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server.TLSConfig())
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()

	conn, err := tls.Dial("tcp", ln.Addr().String(), ca.ClientConfig(nil))
	if err == nil {
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	he := tlsx.Explain(err)
	fmt.Println("client:", he.Kind, he.Side)
	he = server.Explain(<-done)
	fmt.Println("server:", he.Kind, he.Side)
	// Output:
	// client: no-client-certificate remote
	// server: no-client-certificate local
}

// exampleTB stands in for the *testing.T a test passes.
type exampleTB struct{ dir string }

func newExampleTB() *exampleTB {
	dir, err := os.MkdirTemp("", "tlsx-example-")
	if err != nil {
		panic(err)
	}
	return &exampleTB{dir: dir}
}

func (e *exampleTB) Helper()                           {}
func (e *exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (e *exampleTB) TempDir() string {
	dir, err := os.MkdirTemp(e.dir, "")
	if err != nil {
		panic(err)
	}
	return dir
}
func (e *exampleTB) cleanup() { os.RemoveAll(e.dir) }
