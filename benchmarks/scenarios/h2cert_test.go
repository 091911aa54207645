package scenarios

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
)

// handshake runs a TLS handshake between server and client over
// loopback and returns the client's view of it.
func handshake(t *testing.T, server, client *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		_ = c.(*tls.Conn).HandshakeContext(context.Background())
		_ = c.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	d := tls.Dialer{Config: client}
	var state tls.ConnectionState
	c, err := d.DialContext(ctx, "tcp", l.Addr().String())
	if err == nil {
		state = c.(*tls.Conn).ConnectionState()
		_ = c.Close()
	}
	<-done
	return state, err
}

func TestScenarioCertificate(t *testing.T) {
	certs, err := scenarioCerts()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := scenarioCerts(); again != certs {
		t.Error("the certificate is made more than once per process")
	}
	cases := []struct {
		name       string
		serverName string
		protos     []string
		ok         bool
		proto      string // the protocol ALPN must agree on
	}{
		{name: "h2 for 127.0.0.1", serverName: "127.0.0.1", protos: []string{"h2"}, ok: true, proto: "h2"},
		{name: "h2 preferred", serverName: "127.0.0.1", protos: []string{"http/1.1", "h2"}, ok: true, proto: "h2"},
		{name: "HTTP/1.1 only", serverName: "127.0.0.1", protos: []string{"http/1.1"}, ok: true, proto: "http/1.1"},
		{name: "another name", serverName: "localhost", protos: []string{"h2"}, ok: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := certs.client()
			client.ServerName = tc.serverName
			client.NextProtos = tc.protos
			state, err := handshake(t, certs.server(), client)
			if (err == nil) != tc.ok {
				t.Fatalf("handshake error = %v, want success %v", err, tc.ok)
			}
			if tc.ok && state.NegotiatedProtocol != tc.proto {
				t.Errorf("ALPN = %q, want %q", state.NegotiatedProtocol, tc.proto)
			}
		})
	}
}

// TestH2NeedsH2 shows that an HTTP/2 scenario against a target that
// speaks only HTTP/1.1 over TLS reports why it could not run, rather than
// a verdict.
func TestH2NeedsH2(t *testing.T) {
	http1Only := Target{
		Name: "HTTP/1.1 only",
		ServeTLS: func(l net.Listener, h http.Handler, cfg *tls.Config) (func(context.Context) error, error) {
			cfg.NextProtos = []string{"http/1.1"}
			srv := &http.Server{Handler: h}
			go func() { _ = srv.Serve(tls.NewListener(l, cfg)) }()
			return srv.Shutdown, nil
		},
	}
	s, _ := Find("h2-settings-flood")
	o := s.Run(context.Background(), http1Only, testBounds)
	// crypto/tls refuses a client whose ALPN protocols it does not
	// share; other servers answer HTTP/1.1 and the attacker says so.
	if o.Defended || !strings.Contains(o.Err, "TLS handshake offering h2") {
		t.Errorf("outcome = %+v, want not defended and the missing h2 named", o)
	}
}
