package httpx

import (
	"net/http"
	"testing"

	"github.com/harden-go/harden/internal/servertest"
	"github.com/harden-go/harden/tlsx/tlstest"
)

type mode = servertest.Mode

const (
	http1Mode = servertest.HTTP1
	http2Mode = servertest.HTTP2
)

var run = servertest.Run

// serveMode starts a harden server for h speaking mode (HTTP/2 over TLS
// with a certificate from an in-memory CA) and returns its base URL and a
// client that speaks mode to it.
func serveMode(t *testing.T, m mode, cfg ServerConfig, h http.Handler, opts ...ServerOption) (*Server, string, *http.Client) {
	t.Helper()
	// A request that says Expect: 100-continue waits for the server's
	// go-ahead, so a refused body is never written into a closing socket.
	tr := &http.Transport{ExpectContinueTimeout: safety}
	scheme := "http"
	if m == http2Mode {
		ca := tlstest.NewCA(t)
		opts = append(opts, WithTLSConfig(ca.ServerConfig(t, ca.Server(t))))
		tr.TLSClientConfig = ca.ClientConfig(nil)
		tr.ForceAttemptHTTP2 = true
		scheme = "https"
	}
	srv, addr := serve(t, cfg, h, opts...)
	// Registered after serve's, so it runs first: idle client connections
	// close before the server's shutdown waits for them.
	t.Cleanup(tr.CloseIdleConnections)
	return srv, scheme + "://" + addr, &http.Client{Transport: tr, Timeout: safety}
}

// checkProto fails the test when resp did not arrive over mode's protocol.
func checkProto(t *testing.T, m mode, resp *http.Response) {
	t.Helper()
	if resp.ProtoMajor != m.ProtoMajor() {
		t.Fatalf("answer over HTTP/%d, want HTTP/%d", resp.ProtoMajor, m.ProtoMajor())
	}
}
