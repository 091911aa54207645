package tlsx_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Failed handshakes on an http.Server are logged typed and classified,
// with the remote address, at most the limit per kind and minute.
func TestListenerLogsHandshakeFailures(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	clock := &fakeClock{t: time.Now()}
	core, logs := observer.New(zap.WarnLevel)
	src := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: ca.CertFile},
		tlsx.WithLogger(zap.New(core)), tlsx.WithClock(clock.Now), tlsx.WithHandshakeLogLimit(2))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{}, 100)
	hs := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) }),
		ErrorLog: log.New(io.Discard, "", 0),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateClosed {
				closed <- struct{}{}
			}
		},
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		hs.Serve(src.Listener(ln))
	}()
	defer func() {
		hs.Close()
		<-served
	}()

	// dial runs one handshake and a read, then waits until the server
	// has closed the connection (and so logged it), and returns the
	// client's address.
	dial := func(cfg *tls.Config) string {
		t.Helper()
		cfg = cfg.Clone()
		cfg.ServerName = "localhost"
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		tc := tls.Client(c, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if tc.HandshakeContext(ctx) == nil {
			// A request the server answers and closes on; under TLS 1.3
			// a refused certificate shows on this read instead.
			io.WriteString(tc, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
			io.Copy(io.Discard, tc)
		}
		tc.Close()
		<-closed
		return c.LocalAddr().String()
	}
	kinds := func(kind tlsx.Kind) []observer.LoggedEntry {
		return logs.FilterField(zap.String("kind", string(kind))).All()
	}

	first := dial(ca.ClientConfig(nil))
	for range 4 {
		dial(ca.ClientConfig(nil))
	}
	got := kinds(tlsx.KindNoClientCertificate)
	if len(got) != 2 {
		t.Fatalf("%d failures logged, want the limit of 2: %v", len(got), logs.All())
	}
	if addr := got[0].ContextMap()["remote_addr"]; addr != first {
		t.Errorf("remote_addr = %v, want %s", addr, first)
	}
	if got[0].ContextMap()["side"] != "local" || got[0].ContextMap()["fix"] == "" {
		t.Errorf("log fields = %v", got[0].ContextMap())
	}

	// Another kind has its own budget.
	foreign := tlstest.NewCA(t).Client(t)
	cfg := ca.ClientConfig(nil)
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign.TLS, nil }
	dial(cfg)
	if n := len(kinds(tlsx.KindUnknownAuthority)); n != 1 {
		t.Errorf("%d unknown-authority failures logged, want 1", n)
	}

	// Neither a successful handshake nor a bare TCP connection is a
	// failure to log.
	dial(ca.ClientConfig(ca.Client(t)))
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	<-closed
	if n := logs.FilterMessage("tlsx: TLS handshake failed").Len(); n != 3 {
		t.Errorf("%d failures logged, want 3: %v", n, logs.All())
	}

	// A minute later the kind is logged again, with the count of the
	// failures left out.
	clock.Advance(time.Minute)
	dial(ca.ClientConfig(nil))
	got = kinds(tlsx.KindNoClientCertificate)
	if len(got) != 3 {
		t.Fatalf("%d failures logged after a minute, want 3", len(got))
	}
	if s := got[2].ContextMap()["suppressed"]; s != int64(3) {
		t.Errorf("suppressed = %v, want 3", s)
	}
}

// The listener's connections serve HTTP/2 and HTTP/1.1 with the
// source's certificate.
func TestListenerServesHTTP(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	src := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })}
	served := make(chan struct{})
	go func() {
		defer close(served)
		hs.Serve(src.Listener(ln))
	}()
	defer func() {
		hs.Close()
		<-served
	}()
	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: ca.ClientConfig(nil), ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		resp, err := (&http.Client{Transport: tr}).Get("https://localhost:" + portOf(ln))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		want := "HTTP/1.1"
		if h2 {
			want = "HTTP/2.0"
		}
		if string(body) != want {
			t.Errorf("served %s, want %s", body, want)
		}
	}
}

func portOf(ln net.Listener) string {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
