package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/tlsx"
)

const helpHintServe = `Run "harden serve --help" for usage.`

// serveHelp is the help of the serve command.
func serveHelp() string {
	var sb strings.Builder
	sb.WriteString("Usage:\n  harden serve [--config FILE | --profile NAME] [--dev-tls] [--addr ADDR] [--admin-addr ADDR]\n\n")
	wrap(&sb, "Serve runs a reference harden server with demo routes, and its admin listener beside it, until it is interrupted (Ctrl-C or SIGTERM); then it drains as a production server would: /readyz turns 503, new connections are still served for server.shutdown.drain_delay, in-flight requests get server.shutdown.timeout, and it exits 0 when none had to be cut. A second Ctrl-C or SIGTERM cuts the drain short. It prints the addresses it listens on, then logs one JSON access-log line per request to stderr.", "", 76)
	fmt.Fprintf(&sb, `
Flags:
  --config FILE     a harden config file (server: and tls: sections)
  --profile NAME    an embedded reference config (default %s): %s
  --dev-tls         serve HTTPS (and HTTP/2) with a CA and certificate made
                    at start, valid for localhost for a day; the CA is
                    written to a temporary file for curl --cacert and
                    removed on exit (not with a config that has tls:)
  --addr ADDR       listen here instead of server.addr (":0": any free port)
  --admin-addr ADDR the admin listener's address instead of
                    server.admin.addr

Routes:
  GET  /hello       a greeting naming the protocol (HTTP/1.1, HTTP/2.0)
  POST /upload      reads the body and reports its size; a body above
                    server.limits.max_body_bytes is answered 413
  GET  /slow?d=2s   sleeps d (default 1s, at most 1m) unless the request
                    ends first; beyond server.timeouts.handler it is
                    answered 503
  GET  /stream?n=30 writes and flushes n lines (default 30, at most 100),
                    one per 100ms

Admin listener:
  /livez /readyz    health checks; /readyz is 503 once the drain starts
  /metrics          request, TLS certificate expiry and Go runtime
                    metrics, in the Prometheus text format
  /debug/pprof/     profiles (unless server.admin.disable_pprof)

Examples:
  harden serve
  harden serve --dev-tls --addr 127.0.0.1:8443
  harden serve --config harden.yaml
  curl -X POST --data-binary @big.file http://127.0.0.1:8080/upload

Exit status: 0 after a clean shutdown, 1 when the server could not start
or requests were cut at shutdown, 2 on a usage error.
`, defaultProfile, strings.Join(profileNames(), ", "))
	return sb.String()
}

// adminStopTimeout bounds the admin listener's shutdown once the server
// has drained: its requests are probes, metrics scrapes and profiles,
// and only a profile can still be running, which is cut.
const adminStopTimeout = 5 * time.Second

// serveSettings is what the serve command line asks for.
type serveSettings struct {
	name   string // the config's name, for the first line of output
	server httpx.ServerConfig
	tls    *tlsx.ServerConfig // nil: cleartext
	devTLS bool
}

// serve runs the serve command and returns the exit status.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	file := fs.String("config", "", "a harden config `FILE`")
	profile := fs.String("profile", "", "an embedded reference config")
	devTLS := fs.Bool("dev-tls", false, "serve HTTPS with an ephemeral CA")
	addr := fs.String("addr", "", "the public listener's address")
	adminAddr := fs.String("admin-addr", "", "the admin listener's address")
	if code, done := parseFlagsNoArgs(fs, args, serveHelp(), helpHintServe, stdout, stderr); done {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "harden serve: "+format+"\n%s\n", append(a, helpHintServe)...)
		return exitUsage
	}
	switch {
	case *file != "" && *profile != "":
		return usage("--config and --profile both name a config; give one")
	case *profile == "":
		*profile = defaultProfile
	}
	cfg, name, err := loadConfig(*file, *profile)
	if errors.Is(err, errUnknownProfile) {
		return usage("%v", err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "harden serve: %v\n", err)
		return exitFailed
	}
	if *devTLS && cfg.TLS != nil {
		return usage("--dev-tls replaces the certificates, but %s has a tls: section; drop one", name)
	}
	s := serveSettings{name: name, tls: cfg.TLS, devTLS: *devTLS}
	if cfg.Server != nil {
		s.server = *cfg.Server
	}
	if *addr != "" {
		s.server.Addr = *addr
	}
	if *adminAddr != "" {
		s.server.Admin.Addr = *adminAddr
	}
	if err := runServe(ctx, s, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "harden serve: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// runServe serves the demo routes with s until ctx is done, then drains.
// It returns an error when the servers could not start or when the
// shutdown had to cut requests.
func runServe(ctx context.Context, s serveSettings, stdout, stderr io.Writer) (err error) {
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.Lock(zapcore.AddSync(stderr)), zap.InfoLevel))
	defer func() { _ = log.Sync() }()

	m, err := newMetrics()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, m.shutdown(context.WithoutCancel(ctx))) }()
	opts := []httpx.ServerOption{httpx.WithLogger(log), httpx.WithMeterProvider(m.provider)}

	tlsCfg, caFile := s.tls, ""
	if s.devTLS {
		dev, derr := newDevTLS()
		if derr != nil {
			return derr
		}
		defer func() { err = errors.Join(err, dev.remove()) }()
		tlsCfg, caFile = &dev.config, dev.caFile
	}
	if tlsCfg != nil {
		// The source outlives ctx: it serves the drain, and Close stops it.
		src, serr := tlsx.NewServerSource(context.WithoutCancel(ctx), *tlsCfg, tlsx.WithLogger(log), tlsx.WithMeterProvider(m.provider))
		if serr != nil {
			return serr
		}
		defer func() { err = errors.Join(err, src.Close()) }()
		opts = append(opts, httpx.WithTLSSource(src))
	}

	srv, err := httpx.NewServer(s.server, demoRoutes(), opts...)
	if err != nil {
		return err
	}
	cfg := srv.Config()
	admin, err := httpx.NewAdminServer(cfg.Admin, httpx.WithLogger(log), httpx.WithReadiness(srv))
	if err != nil {
		return err
	}
	admin.Handle("/metrics", m.handler)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on server.addr %q: %w", cfg.Addr, err)
	}
	aln, err := net.Listen("tcp", cfg.Admin.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen on server.admin.addr %q: %w", cfg.Admin.Addr, err), ln.Close())
	}
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	go func() { served <- admin.Serve(aln) }()
	printStart(stdout, s.name, cfg, ln.Addr(), aln.Addr(), tlsCfg != nil, caFile)

	var serveErr error
	pending := cap(served)
	select {
	case <-ctx.Done():
	case serveErr = <-served: // a listener failed: stop the other one too
		pending--
	}
	stopErr := drain(ctx, srv, stdout)
	// The admin listener answered /readyz during the drain; now what it
	// still serves (a profile being recorded) gets a moment.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), adminStopTimeout)
	defer cancel()
	stopErr = errors.Join(stopErr, admin.Shutdown(actx))
	for ; pending > 0; pending-- {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			serveErr = errors.Join(serveErr, err)
		}
	}
	if err := errors.Join(serveErr, stopErr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped: every request was answered")
	return nil
}

// drain shuts srv down as configured, or at once on a second SIGINT or
// SIGTERM (the first one ended ctx): the remaining requests are cut, as
// a second Ctrl-C is expected to do.
func drain(ctx context.Context, srv *httpx.Server, stdout io.Writer) error {
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	sctx, cut := context.WithCancel(context.WithoutCancel(ctx))
	defer cut()
	go func() {
		select {
		case <-again:
			cut()
		case <-sctx.Done():
		}
	}()
	fmt.Fprintf(stdout, "draining: /readyz is 503, %s; Ctrl-C again stops at once\n", drainSteps(srv.Config().Shutdown))
	return srv.Shutdown(sctx)
}

// printStart prints where the servers listen and a curl command to try.
func printStart(w io.Writer, name string, cfg httpx.ServerConfig, pub, admin net.Addr, tls bool, caFile string) {
	scheme, curl := "http", "curl"
	if tls {
		scheme = "https"
		if caFile != "" {
			curl += " --cacert " + caFile
		}
	}
	fmt.Fprintf(w, "harden serve: %s\n", name)
	fmt.Fprintf(w, "serving %s://%s  (/hello /upload /slow /stream)\n", scheme, pub)
	fmt.Fprintf(w, "admin   http://%s  (/livez /readyz /metrics /debug/pprof/)\n", admin)
	fmt.Fprintf(w, "try:    %s %s://%s/hello\n", curl, scheme, hostPort(pub))
	fmt.Fprintf(w, "stop:   Ctrl-C (SIGINT) or SIGTERM drains: %s\n", drainSteps(cfg.Shutdown))
}

// drainSteps says what a shutdown with sd does.
func drainSteps(sd httpx.ShutdownConfig) string {
	steps := "the listener closes at once"
	if sd.DrainDelay > 0 {
		steps = fmt.Sprintf("new connections are served for %s", sd.DrainDelay)
	}
	return fmt.Sprintf("%s, then in-flight requests get %s", steps, sd.Timeout)
}

// hostPort is addr as a client names it: localhost for a loopback or
// wildcard address, which the --dev-tls certificate covers.
func hostPort(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !(tcp.IP.IsLoopback() || tcp.IP.IsUnspecified()) {
		return addr.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}
