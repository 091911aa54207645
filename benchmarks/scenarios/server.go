package scenarios

import (
	"context"
	"fmt"
	"net"
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
	ln   *countingListener
	h    *targetHandler

	shutdownFn   func(context.Context) error
	shutdownOnce sync.Once
	shutdownErr  error
}

// start listens on a free loopback port and has t serve the target
// handler on it.
func start(t Target, b Bounds) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("scenarios: listen on loopback: %w", err)
	}
	s := &server{
		addr: l.Addr().String(),
		ln:   newCountingListener(l),
		h:    newTargetHandler(b.Handler + slowOverrun),
	}
	shutdown, err := t.Serve(s.ln, s.h)
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
