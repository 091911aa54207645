package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/harden-go/harden/benchmarks/scenarios"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/retry"
	"github.com/harden-go/harden/tlsx"
)

// bench is what a scorecard run attacks: for each kind of scenario, the
// targets side by side and the one whose verdicts decide the exit status;
// and the bounds the scenarios measure against.
type bench struct {
	lineups map[scenarios.Kind]lineup
	bounds  scenarios.Bounds
	// settings describes harden's configuration in one line, for the
	// help and the report.
	settings string
}

// lineup is the columns of one table: the targets compared, and the
// Name of the one that must be defended.
type lineup struct {
	targets []scenarios.Target
	subject string
}

// names returns the names of l's targets, in column order.
func (l lineup) names() []string {
	names := make([]string, len(l.targets))
	for i, t := range l.targets {
		names[i] = t.Name
	}
	return names
}

// defaultBench compares the net/http zero value with harden configured by
// httpx.DefaultServerConfig(), exactly as a service gets it, a TLS
// server that loads its certificate once with a tlsx source, and
// http.DefaultClient with harden's client (see scorecardClientConfig).
func defaultBench() (bench, error) {
	cfg := httpx.DefaultServerConfig()
	if err := cfg.Validate(); err != nil {
		return bench{}, fmt.Errorf("harden's default configuration is invalid here: %w", err)
	}
	ccfg := scorecardClientConfig()
	if err := ccfg.Validate(); err != nil {
		return bench{}, fmt.Errorf("harden's client configuration is invalid here: %w", err)
	}
	h := hardenTarget(cfg)
	ht := hardenTLSTarget()
	hc := hardenClientTarget(ccfg)
	b := boundsOf(cfg)
	b.Client = clientBoundsOf(ccfg)
	return bench{
		lineups: map[scenarios.Kind]lineup{
			scenarios.Server: {targets: []scenarios.Target{scenarios.ZeroValue(), h}, subject: h.Name},
			scenarios.TLS:    {targets: []scenarios.Target{scenarios.LoadOnce(), ht}, subject: ht.Name},
			scenarios.Client: {targets: []scenarios.Target{scenarios.DefaultClient(), hc}, subject: hc.Name},
		},
		bounds: b,
		settings: "httpx.DefaultServerConfig(): " + describe(cfg) +
			"; client: httpx.DefaultClientConfig() with " + describeClient(ccfg),
	}, nil
}

// scorecardClientConfig is httpx.DefaultClientConfig() with the timeouts
// that the client scenarios wait on shortened, in the defaults'
// proportions (response_header above ping_after + ping_timeout), so the
// client table takes seconds instead of the minutes the defaults of 35s
// and 10s + 5s would, and the throttle's window is 1s instead of 2m, so
// a client throttled during a 3s outage lets go within seconds of it: the
// scenarios show the mechanism, and the bounds they judge by are the
// values given here.
func scorecardClientConfig() httpx.ClientConfig {
	cfg := httpx.DefaultClientConfig()
	cfg.Timeouts.ResponseHeader = 3 * time.Second
	cfg.HTTP2.PingAfter = time.Second
	cfg.HTTP2.PingTimeout = time.Second
	cfg.Retry.Throttle.Window = time.Second
	return cfg
}

// hardenClientTarget calls with an [httpx.NewClient] client built from
// cfg: its retry policy only when the scenario asks for retries, the
// scenario's CA as client.tls, and a [retry.TokenAuth] over the
// scenario's token issuer.
func hardenClientTarget(cfg httpx.ClientConfig) scenarios.Target {
	return scenarios.Target{
		Name: "harden",
		NewClient: func(spec scenarios.ClientSpec) (*http.Client, func(), error) {
			c := cfg
			if !spec.Retry {
				c.Retry.MaxAttempts = 1
			}
			if spec.CAFile != "" {
				// tlsx checks the certificate against a name, which
				// crypto/tls does not report for an address.
				c.TLS.CAFile, c.TLS.ServerName = spec.CAFile, "127.0.0.1"
			}
			ctx, cancel := context.WithCancel(context.Background())
			opts := []httpx.ClientOption{httpx.WithContext(ctx), httpx.WithLogger(zap.NewNop())}
			if spec.Token != nil {
				opts = append(opts, httpx.WithAuthenticator(retry.TokenAuth(func(ctx context.Context, _ string) (retry.Token, error) {
					v, err := spec.Token(ctx)
					return retry.Token{Value: v}, err
				})))
			}
			cl, err := httpx.NewClient(c, opts...)
			if err != nil {
				cancel()
				return nil, nil, err
			}
			return cl, func() { cl.CloseIdleConnections(); cancel() }, nil
		},
	}
}

// clientBoundsOf returns the bounds that judge a client configured by
// cfg.
func clientBoundsOf(cfg httpx.ClientConfig) scenarios.ClientBounds {
	return scenarios.ClientBounds{
		ResponseHeader: cfg.Timeouts.ResponseHeader,
		PingAfter:      cfg.HTTP2.PingAfter,
		PingTimeout:    cfg.HTTP2.PingTimeout,
	}
}

// describeClient names the settings of cfg that the client scenarios
// measure, with the config file's keys.
func describeClient(cfg httpx.ClientConfig) string {
	return fmt.Sprintf("timeouts.response_header %v, http2.ping_after %v, http2.ping_timeout %v (shortened for the scorecard), pool.max_idle_per_host %d, retry.max_attempts %d, retry.budget.ratio %v, retry.throttle.k %v, retry.throttle.window %v (shortened for the scorecard)",
		cfg.Timeouts.ResponseHeader, cfg.HTTP2.PingAfter, cfg.HTTP2.PingTimeout, cfg.Pool.MaxIdlePerHost, cfg.Retry.MaxAttempts, cfg.Retry.Budget.Ratio,
		cfg.Retry.Throttle.K, cfg.Retry.Throttle.Window)
}

// hardenTLSTarget serves with a [tlsx.ServerSource] over the files and
// explains failures with [tlsx.Explain]. Its reload is the source's
// Reload, which its poll runs every reload_interval; the scenario calls
// it at once instead of waiting the interval out.
func hardenTLSTarget() scenarios.Target {
	return scenarios.Target{
		Name: "harden",
		ServeFiles: func(l net.Listener, certFile, keyFile string) (func() error, func(), error) {
			src, err := tlsx.NewServerSource(context.Background(),
				tlsx.ServerConfig{CertFile: certFile, KeyFile: keyFile, ReloadInterval: -1})
			if err != nil {
				return nil, nil, err
			}
			stop := scenarios.ServeHandshakes(l, src.TLSConfig())
			return src.Reload, func() { stop(); src.Close() }, nil
		},
		Explain: func(err error, trusted []*x509.Certificate) (string, string) {
			he := tlsx.Explain(err, trusted...)
			return string(he.Kind), he.Message
		},
	}
}

// hardenTarget serves with an [httpx.Server] built from cfg; its shutdown
// function is the server's drain-then-shutdown.
func hardenTarget(cfg httpx.ServerConfig) scenarios.Target {
	serve := func(l net.Listener, h http.Handler, opts ...httpx.ServerOption) (func(context.Context) error, error) {
		srv, err := httpx.NewServer(cfg, h, append(opts, httpx.WithLogger(zap.NewNop()))...)
		if err != nil {
			return nil, err
		}
		// Serve returns when the scenario closes l or calls Shutdown.
		go func() { _ = srv.Serve(l) }()
		return srv.Shutdown, nil
	}
	return scenarios.Target{
		Name: "harden",
		Serve: func(l net.Listener, h http.Handler) (func(context.Context) error, error) {
			return serve(l, h)
		},
		// harden terminates TLS itself, above its connection caps, as a
		// service configured with httpx.WithTLSConfig does.
		ServeTLS: func(l net.Listener, h http.Handler, tc *tls.Config) (func(context.Context) error, error) {
			return serve(l, h, httpx.WithTLSConfig(tc))
		},
	}
}

// boundsOf returns the bounds that judge a server configured by cfg.
func boundsOf(cfg httpx.ServerConfig) scenarios.Bounds {
	return scenarios.Bounds{
		ReadHeader:           cfg.Timeouts.ReadHeader,
		Idle:                 cfg.Timeouts.Idle,
		BodyWindow:           max(cfg.Limits.BodyStallTimeout, cfg.Limits.BodyRateWindow),
		Handler:              cfg.Timeouts.Handler,
		Drain:                cfg.Shutdown.DrainDelay,
		Shutdown:             cfg.Shutdown.Timeout,
		MaxHeaderBytes:       int64(cfg.Limits.MaxHeaderBytes),
		MaxBodyBytes:         int64(cfg.Limits.MaxBodyBytes),
		MaxConcurrentStreams: uint32(cfg.HTTP2.MaxConcurrentStreams),
		PingAfter:            max(cfg.HTTP2.PingAfter, 0),
		PingTimeout:          cfg.HTTP2.PingTimeout,
		WriteByteTimeout:     max(cfg.Limits.WriteStallTimeout, 0),
	}
}

// describe names the settings of cfg that the scenarios measure, with the
// config file's keys.
func describe(cfg httpx.ServerConfig) string {
	t, l, s, h2 := cfg.Timeouts, cfg.Limits, cfg.Shutdown, cfg.HTTP2
	return fmt.Sprintf("read_header %v, handler %v, body_stall_timeout %v, body_rate_window %v, drain_delay %v, shutdown.timeout %v, max_header_bytes %v, max_body_bytes %v, http2.max_concurrent_streams %d, http2.ping_after %v, http2.ping_timeout %v, write_stall_timeout %v",
		t.ReadHeader, t.Handler, l.BodyStallTimeout, l.BodyRateWindow, s.DrainDelay, s.Timeout, l.MaxHeaderBytes, l.MaxBodyBytes,
		h2.MaxConcurrentStreams, h2.PingAfter, h2.PingTimeout, l.WriteStallTimeout)
}
