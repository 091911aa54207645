package scenarios

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	// slowOverrun is how much longer than the handler timeout /slow
	// sleeps: long enough that every scenario gives up first.
	slowOverrun = 5 * time.Second
	// teardownShutdown is the deadline given to the target's shutdown
	// function when a scenario ends. By then the listener and every
	// connection are closed, so there is nothing left to drain or wait
	// for; the call only lets the target release what it holds.
	teardownShutdown = 250 * time.Millisecond
	// teardownGrace bounds the wait for handlers to return once released.
	teardownGrace = 2 * time.Second
)

// server is one fresh instance of a target, serving the target handler on
// a counting listener at 127.0.0.1.
type server struct {
	addr string
	base string // "http://" or "https://" and addr: where ordinary requests go
	ln   *countingListener
	h    *targetHandler
	// clientTLS is the configuration clients of a TLS server use to trust
	// it; nil for a plain-text server.
	clientTLS *tls.Config
	// target, bounds and certs are what the server was started from, so
	// that an identical twin can be (see [server.probe]).
	target Target
	bounds Bounds
	certs  *certPair

	shutdownFn   func(context.Context) error
	shutdownOnce sync.Once
	shutdownErr  error
}

// start listens on a free loopback port and has t serve the target
// handler on it in plain text.
func start(t Target, b Bounds) (*server, error) {
	return startOn(t, b, nil)
}

// startTLS is start behind TLS with this process's scenario certificate,
// whose ALPN offers h2, so a net/http target speaks HTTP/2 to clients that
// ask for it.
func startTLS(t Target, b Bounds) (*server, error) {
	certs, err := scenarioCerts()
	if err != nil {
		return nil, err
	}
	return startOn(t, b, certs)
}

// startOn is start, behind TLS when certs is not nil (see
// [Target.ServeTLS]). TLS sits over the counting listener, so the counts
// are of bytes on the wire.
func startOn(t Target, b Bounds, certs *certPair) (*server, error) {
	if certs == nil && t.Serve == nil {
		return nil, fmt.Errorf("scenarios: target %q sets ServeTLS but no Serve, which a plain-text scenario needs", t.Name)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("scenarios: listen on loopback: %w", err)
	}
	s := &server{
		addr: l.Addr().String(),
		ln:   newCountingListener(l),
		h:    newTargetHandler(b.Handler + slowOverrun),

		target: t,
		bounds: b,
		certs:  certs,
	}
	s.base = "http://" + s.addr
	serve := t.Serve
	if certs != nil {
		s.base = "https://" + s.addr
		s.clientTLS = certs.client()
		serve = func(l net.Listener, h http.Handler) (func(context.Context) error, error) {
			if t.ServeTLS != nil {
				return t.ServeTLS(l, h, certs.server())
			}
			return t.Serve(tls.NewListener(l, certs.server()), h)
		}
	}
	shutdown, err := serve(s.ln, s.h)
	if err != nil {
		s.ln.closeAll()
		return nil, fmt.Errorf("scenarios: start %s: %w", t.Name, err)
	}
	s.shutdownFn = shutdown
	return s, nil
}

// shutdown calls the target's shutdown function once; later calls wait
// for the first and return its result.
func (s *server) shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdownFn(ctx) })
	return s.shutdownErr
}

// close tears the server down: it releases the sleeping handlers, stops
// accepting, closes every connection the server still holds, shuts the
// target down with a short deadline (a shutdown the scenario already made
// is not repeated) and waits for the handlers to return.
func (s *server) close() {
	s.h.releaseAll()
	s.ln.closeAll()
	ctx, cancel := context.WithTimeout(context.Background(), teardownShutdown)
	_ = s.shutdown(ctx)
	cancel()
	s.h.wait(teardownGrace)
}
