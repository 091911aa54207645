package httpx

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// A server on a tlsx source serves its certificate over HTTP/2 and logs a
// failed handshake once, typed, through the source, not as net/http's
// text line.
func TestTLSSourceServesAndLogsHandshakeFailures(t *testing.T) {
	ca := tlstest.NewCA(t)
	cert := ca.Server(t)
	tlsCore, tlsLogs := observer.New(zapcore.WarnLevel)
	src, err := tlsx.NewServerSource(context.Background(), tlsx.ServerConfig{CertFile: cert.CertFile, KeyFile: cert.KeyFile}, tlsx.WithLogger(zap.New(tlsCore)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() }) // after the server's shutdown, registered below
	httpCore, httpLogs := observer.New(zapcore.DebugLevel)
	srv, addr := serve(t, testConfig(), ok, WithTLSSource(src), WithLogger(zap.New(httpCore)))

	trusting := &http.Transport{TLSClientConfig: ca.ClientConfig(nil), ForceAttemptHTTP2: true}
	defer trusting.CloseIdleConnections()
	resp, err := (&http.Client{Transport: trusting, Timeout: safety}).Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("answer over HTTP/%d, want HTTP/2", resp.ProtoMajor)
	}

	stranger := &http.Transport{TLSClientConfig: tlstest.NewCA(t).ClientConfig(nil)}
	defer stranger.CloseIdleConnections()
	if resp, err := (&http.Client{Transport: stranger, Timeout: safety}).Get("https://" + addr + "/"); err == nil {
		resp.Body.Close()
		t.Fatal("a client that does not trust the server's CA completed a request")
	}
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil { // every connection closed: every failure logged
		t.Fatal(err)
	}
	if n := tlsLogs.FilterMessage("tlsx: TLS handshake failed").Len(); n != 1 {
		t.Errorf("%d typed handshake-failure lines, want 1: %v", n, tlsLogs.All())
	}
	if n := httpLogs.FilterMessageSnippet("TLS handshake error").Len(); n != 0 {
		t.Errorf("net/http's text line was logged too (%d times)", n)
	}
}

// A TLS config and a TLS source given together are refused in either
// order, instead of the later one silently replacing the other; either
// alone, or one of them twice, is accepted.
func TestServerTLSConfigAndSourceConflict(t *testing.T) {
	ca := tlstest.NewCA(t)
	cert := ca.Server(t)
	src, err := tlsx.NewServerSource(context.Background(), tlsx.ServerConfig{CertFile: cert.CertFile, KeyFile: cert.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cfg := ca.ServerConfig(t, cert)
	for _, tc := range []struct {
		name     string
		opts     []ServerOption
		conflict bool
	}{
		{"config then source", []ServerOption{WithTLSConfig(cfg), WithTLSSource(src)}, true},
		{"source then config", []ServerOption{WithTLSSource(src), WithTLSConfig(cfg)}, true},
		{"config alone", []ServerOption{WithTLSConfig(cfg)}, false},
		{"source twice", []ServerOption{WithTLSSource(src), WithTLSSource(src)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(testConfig(), ok, tc.opts...)
			if got := errors.Is(err, ErrTLSConflict); got != tc.conflict {
				t.Errorf("NewServer error %v; ErrTLSConflict %v, want %v", err, got, tc.conflict)
			}
		})
	}
}
