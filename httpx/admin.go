package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/harden-go/harden/internal/problem"
)

// adminReadHeader and adminIdle bound the admin listener like any other;
// its callers are probes and operators, so short values cost nothing.
const (
	adminReadHeader = 5 * time.Second
	adminIdle       = 60 * time.Second
	// adminStopWait bounds how long Run waits for the servers it reports
	// on to finish their own shutdown before closing the admin listener.
	adminStopWait = 2 * time.Minute
)

// AdminServer serves health checks and profiles on their own listener,
// bound to loopback by default, so none of it is reachable through the
// public port:
//
//	GET /livez          200 while the process serves at all
//	GET /readyz         200 while every Readiness is ready, else 503
//	GET /debug/pprof/*  profiles (unless admin.disable_pprof)
//
// The profiling endpoints are registered explicitly on the admin server's
// own mux; harden does not import net/http/pprof, whose init registers
// them on http.DefaultServeMux for every server that serves it.
type AdminServer struct {
	cfg       AdminConfig
	hs        *http.Server
	mux       *http.ServeMux
	log       *zap.Logger
	readiness []Readiness
	addr      atomic.Pointer[net.Addr]
}

// NewAdminServer builds the admin server from cfg (the "server.admin" key
// of a config file). Tie /readyz to the public server with
// WithReadiness(srv). It refuses a config that fails
// [AdminConfig.Validate].
func NewAdminServer(cfg AdminConfig, opts ...AdminOption) (*AdminServer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := newAdminOptions(opts)
	c := cfg.withDefaults()
	a := &AdminServer{cfg: c, mux: http.NewServeMux(), log: o.logger, readiness: o.readiness}
	a.mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	a.mux.HandleFunc("GET /readyz", a.readyz)
	if !c.DisablePprof {
		registerPprof(a.mux, c.MaxProfile)
	}
	a.hs = &http.Server{
		Addr:              c.Addr,
		Handler:           a.mux,
		ReadHeaderTimeout: adminReadHeader,
		// A CPU profile or trace streams for up to MaxProfile; the write
		// deadline must not cut it.
		WriteTimeout:   c.MaxProfile + adminWriteMargin,
		IdleTimeout:    adminIdle,
		MaxHeaderBytes: int(defaultMaxHeaderBytes),
		ErrorLog:       zap.NewStdLog(o.logger.Named("admin")),
	}
	return a, nil
}

func (a *AdminServer) readyz(w http.ResponseWriter, r *http.Request) {
	for _, rd := range a.readiness {
		if !rd.Ready() {
			problem.Write(w, r, http.StatusServiceUnavailable, "not_ready", "the server is draining or not ready for traffic")
			return
		}
	}
	writeText(w, http.StatusOK, "ok\n")
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Handle registers h on the admin mux, for endpoints such as /metrics that
// belong beside the health checks rather than on the public port.
func (a *AdminServer) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// HTTPServer returns the underlying server.
func (a *AdminServer) HTTPServer() *http.Server { return a.hs }

// Addr returns the address the admin server listens on, or nil before it
// listens.
func (a *AdminServer) Addr() net.Addr {
	if p := a.addr.Load(); p != nil {
		return *p
	}
	return nil
}

// Serve serves the admin endpoints on l until Shutdown. Like
// [NewAdminServer] for admin.addr, it refuses (and closes) a listener
// reachable from other hosts, anything but a loopback TCP address or a
// Unix socket, unless admin.expose is set (rule admin-loopback).
func (a *AdminServer) Serve(l net.Listener) error {
	if !a.cfg.Expose && !isLoopbackAddr(l.Addr()) {
		_ = l.Close()
		return &ConfigError{Field: "server.admin.addr", Rule: RuleAdminLoopback, Reason: fmt.Sprintf(
			"the listener's address %s is beyond loopback, exposing pprof and health endpoints; listen on 127.0.0.1 or set admin.expose: true to say so on purpose", l.Addr())}
	}
	addr := l.Addr()
	a.addr.CompareAndSwap(nil, &addr)
	a.log.Info("admin serving", zap.Stringer("addr", addr))
	return a.hs.Serve(l)
}

// Run listens on admin.addr and serves until ctx is done. It then keeps
// answering (so probes see /readyz turn 503 during the drain) until every
// Readiness that has a Done() <-chan struct{} method is done, at most two
// minutes, and shuts down.
func (a *AdminServer) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("httpx: listen on server.admin.addr %q: %w", a.cfg.Addr, err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	a.waitForDrains()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), adminReadHeader)
	defer cancel()
	err = a.Shutdown(sctx)
	<-served
	return err
}

func (a *AdminServer) waitForDrains() {
	limit := time.NewTimer(adminStopWait)
	defer limit.Stop()
	for _, rd := range a.readiness {
		d, ok := rd.(interface{ Done() <-chan struct{} })
		if !ok {
			continue
		}
		select {
		case <-d.Done():
		case <-limit.C:
			a.log.Warn("admin server stops before the servers it reports on finished shutting down", zap.Duration("waited", adminStopWait))
			return
		}
	}
}

// Shutdown stops the admin server gracefully; when ctx ends first, open
// connections (a running profile) are closed.
func (a *AdminServer) Shutdown(ctx context.Context) error {
	if err := a.hs.Shutdown(ctx); err != nil {
		return errors.Join(fmt.Errorf("httpx: admin shutdown: %w", err), a.hs.Close())
	}
	return nil
}
