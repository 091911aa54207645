package httpx

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// serveOn serves srv on a fresh loopback listener until the test ends and
// returns its address; a server may be given several.
func serveOn(t *testing.T, srv *Server) string {
	t.Helper()
	return listen(t, srv.Serve, func(ctx context.Context) error {
		_ = srv.Shutdown(ctx)
		return nil
	})
}

// Every listener of one server speaks what the config says, whether the
// second Serve starts after the first has served (net/http's first Serve
// sets TLSConfig for its HTTP/2 setup) or at the same time.
func TestEveryListenerServesTheConfiguredProtocol(t *testing.T) {
	tests := []struct {
		name      string
		cleartext bool // http2.cleartext
		tls       bool
		proto     int
	}{
		{"plain HTTP/1.1", false, false, 1},
		{"h2c", true, false, 2},
		{"HTTP/2 over TLS", false, true, 2},
	}
	for _, tc := range tests {
		for _, concurrent := range []bool{false, true} {
			name := tc.name + "/one after the other"
			if concurrent {
				name = tc.name + "/concurrent"
			}
			t.Run(name, func(t *testing.T) {
				cfg := testConfig()
				cfg.HTTP2.Cleartext = tc.cleartext
				tr := &http.Transport{}
				scheme := "http"
				var tlsCfg *tls.Config // nil: plain
				switch {
				case tc.tls:
					ca := tlstest.NewCA(t)
					tlsCfg = ca.ServerConfig(t, ca.Server(t))
					tr.TLSClientConfig = ca.ClientConfig(nil)
					tr.ForceAttemptHTTP2 = true
					scheme = "https"
				case tc.cleartext:
					var p http.Protocols
					p.SetUnencryptedHTTP2(true)
					tr.Protocols = &p
				}
				srv, err := NewServer(cfg, ok, WithTLSConfig(tlsCfg))
				if err != nil {
					t.Fatal(err)
				}
				client := &http.Client{Transport: tr, Timeout: safety}
				get := func(addr string) {
					t.Helper()
					resp, err := client.Get(scheme + "://" + addr + "/")
					if err != nil {
						t.Fatalf("listener %s: %v", addr, err)
					}
					defer resp.Body.Close()
					if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(body) != "ok" {
						t.Fatalf("listener %s: %d %q", addr, resp.StatusCode, body)
					}
					if resp.ProtoMajor != tc.proto {
						t.Fatalf("listener %s answered over HTTP/%d, want HTTP/%d", addr, resp.ProtoMajor, tc.proto)
					}
				}
				first := serveOn(t, srv)
				if !concurrent {
					get(first)
				}
				second := serveOn(t, srv)
				t.Cleanup(tr.CloseIdleConnections) // before the server's shutdown
				get(first)
				get(second)
			})
		}
	}
}

// What a user writes: a default server on two listeners, called with
// http.DefaultClient. The config is the default but for the drain delay,
// which would only slow the test's shutdown.
func TestSecondPlainListenerSpeaksHTTP(t *testing.T) {
	srv, err := NewServer(ServerConfig{Shutdown: ShutdownConfig{DrainDelay: -1}}, ok)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		addr := serveOn(t, srv)
		resp, err := http.DefaultClient.Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("listener %s: %v", addr, err)
		}
		resp.Body.Close()
		http.DefaultClient.CloseIdleConnections()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("listener %s: status %d", addr, resp.StatusCode)
		}
	}
}

// The connection caps are the server's: two listeners share one budget,
// in all and per client address.
func TestConnectionCapsSpanListeners(t *testing.T) {
	cfg := testConfig()
	cfg.Timeouts.ReadHeader = safety // idle connections must not be closed by the header timeout here
	cfg.Limits.MaxConnections = 2
	srv, err := NewServer(cfg, ok)
	if err != nil {
		t.Fatal(err)
	}
	a, b := serveOn(t, srv), serveOn(t, srv)
	served(t, dialFrom(t, "127.0.0.1", a))
	served(t, dialFrom(t, "127.0.0.2", b))
	for _, addr := range []string{a, b} {
		if closed, err := closedByServer(dialFrom(t, "127.0.0.3", addr)); !closed {
			t.Fatalf("a third connection, on %s, was kept open: %v", addr, err)
		}
	}

	cfg.Limits.MaxConnections = 10
	cfg.Limits.MaxConnectionsPerIP = 1
	srv, err = NewServer(cfg, ok)
	if err != nil {
		t.Fatal(err)
	}
	a, b = serveOn(t, srv), serveOn(t, srv)
	served(t, dialFrom(t, "127.0.0.1", a))
	if closed, err := closedByServer(dialFrom(t, "127.0.0.1", b)); !closed {
		t.Fatalf("a second connection of one client, on the other listener, was kept open: %v", err)
	}
	served(t, dialFrom(t, "127.0.0.2", b))
}

// dialFrom opens a raw connection to addr from the loopback address local
// (any of 127.0.0.0/8 is this host), as another client would.
func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(safety))
	t.Cleanup(func() { c.Close() })
	return c
}

// served sends a GET on c and fails the test unless it is answered 200;
// the connection stays open.
func served(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("a connection within the caps was not served: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
}
