package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/limits"
	"github.com/harden-go/harden/middleware"
	"github.com/harden-go/harden/tlsx"
)

// Server is a hardened *http.Server with a graceful, drain-first stop. It
// is safe for concurrent use. Create it with [NewServer].
type Server struct {
	cfg ServerConfig // with defaults applied
	hs  *http.Server
	log *zap.Logger

	mwOpts    []middleware.TraceOption // telemetry of the request chain
	tlsSource *tlsx.ServerSource       // set by WithTLSSource

	tls     *tls.Config        // set by WithTLSConfig or WithTLSSource
	conns   *limits.ConnBudget // shared by every listener
	tracked *connTracker       // connections, for the drain and their age

	draining     atomic.Bool
	shutdownOnce sync.Once
	shutdownErr  error
	done         chan struct{}

	addr atomic.Pointer[net.Addr]
}

var _ Readiness = (*Server)(nil)

// NewServer builds a server for h from cfg. It refuses, with every problem
// listed, a config that fails [ServerConfig.Validate], a nil handler, and
// http.DefaultServeMux: importing net/http/pprof or expvar registers
// profiling and memory endpoints on it as a side effect, so serving it on
// a public port publishes them (rule no-default-mux). Profiles belong on
// the admin listener ([NewAdminServer]); since a DefaultServeMux wrapped
// in middleware passes that check, the server also answers 404 on
// /debug/pprof and below, whatever the handler, unless server.expose_pprof
// says otherwise ([ServerConfig.ExposePprof]): that guard wraps h itself.
//
// Around h the server installs, outermost first: the drain marker, then
// middleware.Default's chain: the request ID, the trace (otelhttp, on the
// providers of [WithTracerProvider], [WithMeterProvider] and
// [WithPropagators]), the access log (to the logger of [WithLogger]),
// panic recovery (500), the header size check (431), the concurrency
// limit (503 with Retry-After), the handler timeout (503), the body size
// limit (413) and the body progress guard (408).
// Every early answer is problem+json carrying the request ID, and its
// access-log line carries the same request ID, trace ID and span ID as
// the request's span. A route wrapped in its own
// limits.Body replaces limits.max_body_bytes for its requests, larger or
// smaller:
//
//	mux.Handle("POST /upload", limits.Body(64<<20)(upload))
func NewServer(cfg ServerConfig, h http.Handler, opts ...ServerOption) (*Server, error) {
	var errs []error
	switch {
	case h == nil:
		errs = append(errs, &harden.ConfigError{Field: "handler", Rule: RuleHandlerRequired, Reason: "is nil; pass the application's handler"})
	case h == http.Handler(http.DefaultServeMux):
		errs = append(errs, &harden.ConfigError{Field: "handler", Rule: RuleNoDefaultMux,
			Reason: "is http.DefaultServeMux, where importing net/http/pprof or expvar publishes profiles and memory stats; use http.NewServeMux() and the admin server for /debug/pprof"})
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	o := newServerOptions(opts)
	if o.tlsConflict {
		errs = append(errs, fmt.Errorf("%w: WithTLSConfig and WithTLSSource both set the server's TLS; give one", ErrTLSConflict))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c := cfg.withDefaults()
	s := &Server{cfg: c, log: o.logger, mwOpts: o.middleware(), done: make(chan struct{}),
		tracked: newConnTracker(c.Limits.MaxConnectionAge.Std(), c.Limits.MaxConnectionAgeGrace.Std(), defaultAgeRand)}
	s.conns = limits.NewConnBudget(c.Limits.listener())
	s.hs = &http.Server{
		Addr:              c.Addr,
		Handler:           s.chain(h),
		ReadHeaderTimeout: c.Timeouts.ReadHeader.Std(),
		WriteTimeout:      max(c.Timeouts.Write, 0).Std(),
		IdleTimeout:       c.Timeouts.Idle.Std(),
		MaxHeaderBytes:    headerBackstop(c.Limits.MaxHeaderBytes),
		ErrorLog:          zap.NewStdLog(o.logger.Named("net/http")),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return limits.ConnContext(withMeter(s.tracked.connContext(ctx, c), c), c)
		},
		ConnState: s.tracked.connState,
	}
	// Serve decides on TLS from s.tls, never from hs.TLSConfig: net/http's
	// first Serve sets hs.TLSConfig for its HTTP/2 setup even on a plain
	// server.
	s.tls, s.hs.TLSConfig = o.tls, o.tls
	if o.tlsSource != nil {
		s.tlsSource = o.tlsSource
		s.hs.ErrorLog = withoutHandshakeLines(s.hs.ErrorLog)
	}
	c.HTTP2.apply(s.hs)
	return s, nil
}

// chain wraps h in the server's guards and telemetry: middleware.Default,
// whose doc comment gives the order, with the header size check as its
// guard.
func (s *Server) chain(h http.Handler) http.Handler {
	if !s.cfg.ExposePprof {
		h = pprofGuard(h)
	}
	l, t := s.cfg.Limits, s.cfg.Timeouts
	opts := []middleware.DefaultOption{middleware.WithLogger(s.log), middleware.WithGuard(headerLimit(int64(l.MaxHeaderBytes)))}
	for _, o := range s.mwOpts {
		opts = append(opts, o)
	}
	h = middleware.Default(middleware.DefaultConfig{
		HandlerTimeout: harden.Duration(t.Handler),
		MaxBodyBytes:   l.MaxBodyBytes,
		Progress: limits.ProgressConfig{
			StallTimeout: harden.Duration(l.BodyStallTimeout),
			MinRate:      l.MinBodyRate,
			Window:       harden.Duration(l.BodyRateWindow),
		},
		Concurrency: l.Concurrency,
	}, opts...)(h)
	return s.connMarker(h)
}

// connMarker asks a client to close its connection after this response
// when the server wants it elsewhere: an HTTP/1.x connection once the
// drain has started, so keep-alive connections leave one by one at a
// request boundary instead of being cut while idle, where a client may be
// sending on them (net/http's SetKeepAlivesEnabled(false) closes idle
// connections at once); any connection past limits.max_connection_age (on
// HTTP/2, net/http turns the header into a graceful GOAWAY). It also tells
// the connection tracker each connection's protocol. Those that stay idle
// through the drain are closed by its sweep (connTracker.sweepIdle);
// HTTP/2 connections are told of the drain by the GOAWAY that Shutdown
// sends.
func (s *Server) connMarker(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tc, _ := r.Context().Value(trackedConnKey{}).(*trackedConn)
		if tc != nil {
			if r.ProtoMajor == 1 {
				tc.http1.Store(true)
			} else {
				tc.h2.Store(true)
			}
		}
		if r.ProtoMajor == 1 && s.draining.Load() || tc != nil && tc.old.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// HTTPServer returns the underlying server, for what harden does not wrap
// (RegisterOnShutdown, BaseContext). Changing the fields harden set
// bypasses its validation; TLS is set with [WithTLSConfig] or
// [WithTLSSource], not through TLSConfig; ConnContext and ConnState track
// connections for the drain, so wrap them (calling harden's) rather than
// replace them. The connection caps, the write guard (for HTTP/1.x and
// HTTP/2 alike) and the header meter live on the listeners of
// [Server.Serve] and [Server.Run]: serve through them, not through the
// returned server's own Serve.
func (s *Server) HTTPServer() *http.Server { return s.hs }

// Config returns the configuration the server runs with, every default
// filled in.
func (s *Server) Config() ServerConfig { return s.cfg }

// Addr returns the address of the first listener the server served on, or
// nil before it listens.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// Serve accepts connections on l, capped at limits.max_connections (and
// per client address), speaks TLS on them when the server has a TLS
// config ([WithTLSConfig], [WithTLSSource]), and serves them until
// Shutdown; it then returns http.ErrServerClosed, like http.Server.Serve.
// It may be called for several listeners, which share the caps: they are
// the server's, not each listener's.
func (s *Server) Serve(l net.Listener) error {
	l = s.conns.Listener(l)
	switch {
	case s.tlsSource != nil:
		l = s.tlsSource.Listener(l)
	case s.tls != nil:
		l = tls.NewListener(l, s.tls)
	default:
		l = meterListener{l} // header blocks counted as sent
	}
	addr := l.Addr()
	s.addr.CompareAndSwap(nil, &addr)
	s.log.Info("serving", zap.Stringer("addr", addr), zap.Int("max_connections", s.cfg.Limits.MaxConnections))
	return s.hs.Serve(l)
}

// Run listens on the configured address and serves until ctx is done, then
// shuts down as [Server.Shutdown] describes, bounded by the configured
// delays rather than by ctx (which is already done). It returns nil after
// a clean shutdown, the listen or serve error if serving failed, or the
// shutdown error when requests had to be cut.
//
// Before listening it ties the Go runtime's memory limit to the
// container's (limits.ApplyMemoryLimit, at limits.memory_limit_ratio,
// unless that is negative) and logs the outcome and GOMAXPROCS once.
func (s *Server) Run(ctx context.Context) error {
	if r := s.cfg.Limits.MemoryLimitRatio; r > 0 {
		rep, err := limits.ApplyMemoryLimit(limits.WithMemoryLimitRatio(r))
		if err != nil {
			return fmt.Errorf("httpx: server.limits.memory_limit_ratio: %w", err)
		}
		s.log.Info("runtime limits",
			zap.String("memory_limit_source", rep.Source),
			zap.Int64("memory_limit", rep.Limit),
			zap.Uint64("cgroup_memory_limit", rep.CgroupLimit),
			zap.Float64("memory_limit_ratio", rep.Ratio),
			zap.String("reason", rep.Reason),
			zap.Int("gomaxprocs", rep.GOMAXPROCS))
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("httpx: listen on server.addr %q: %w", s.cfg.Addr, err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	err = s.Shutdown(context.WithoutCancel(ctx))
	<-served
	return err
}

// Shutdown stops the server without failing a request a client or load
// balancer could still send:
//
//  1. Ready turns false at once, so /readyz on the admin server answers
//     503 and load balancers stop routing here; HTTP/1.x responses carry
//     Connection: close from now on.
//  2. For shutdown.drain_delay the server keeps accepting and serving new
//     connections, for the clients that have not yet seen the change.
//     HTTP/1.x keep-alive connections idle for half of it are closed, so
//     their clients reconnect before the listener closes.
//  3. It stops listening and waits up to shutdown.timeout for in-flight
//     requests (http.Server.Shutdown, which also sends HTTP/2 GOAWAY).
//  4. Connections still busy then are force-closed and an error says so.
//
// ctx bounds the whole sequence: when it is done, the remaining steps are
// cut short. Calls after the first wait for it and return its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.shutdownErr = s.shutdown(ctx)
		close(s.done)
	})
	<-s.done
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	sc := s.cfg.Shutdown
	s.draining.Store(true)
	s.log.Info("draining", zap.Duration("drain_delay", sc.DrainDelay.Std()), zap.Duration("timeout", sc.Timeout.Std()))
	if sc.DrainDelay > 0 {
		stopSweep := s.tracked.sweepIdle(sc.DrainDelay.Std())
		t := time.NewTimer(sc.DrainDelay.Std())
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		stopSweep()
	}
	sctx, cancel := context.WithTimeout(ctx, sc.Timeout.Std())
	defer cancel()
	if err := s.hs.Shutdown(sctx); err != nil {
		closeErr := s.hs.Close()
		s.log.Warn("shutdown timed out; connections force-closed", zap.Duration("timeout", sc.Timeout.Std()), zap.Error(err))
		return errors.Join(fmt.Errorf("httpx: requests still in flight after server.shutdown.timeout (%v) were cut: %w", sc.Timeout, err), closeErr)
	}
	s.log.Info("shut down")
	return nil
}

// Ready reports whether the server wants traffic: true until Shutdown
// begins.
func (s *Server) Ready() bool { return !s.draining.Load() }

// Done is closed when Shutdown has finished.
func (s *Server) Done() <-chan struct{} { return s.done }
