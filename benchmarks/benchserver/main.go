// Command benchserver serves GET /hello behind one of harden's variants
// for `harden bench`: raw net/http, harden's server with its defaults or
// with production telemetry, and each layer of its request chain alone.
// Run it with -list for the variants. See package loadbench.
package main

import (
	"context"
	"net/http"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/harden-go/harden/benchmarks/loadbench"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/limits"
	"github.com/harden-go/harden/middleware"
	"github.com/harden-go/harden/tlsx"
)

func main() { loadbench.ServerMain(variants) }

var variants = map[string]loadbench.Variant{
	"raw": {Doc: "net/http.Server, the handler alone", New: func(e loadbench.Env) (loadbench.Server, error) {
		return loadbench.Plain(e, nil), nil
	}},
	"defaults": {Doc: "httpx.NewServer(DefaultServerConfig()), no logger, global (no-op) telemetry", New: func(e loadbench.Env) (loadbench.Server, error) {
		return hardenServer(e)
	}},
	"production": {Doc: "httpx.NewServer(DefaultServerConfig()) with zap JSON access log, OTel SDK at 1% sampling, no-op meter", New: func(e loadbench.Env) (loadbench.Server, error) {
		logger, tp := loadbench.Production()
		return hardenServer(e, httpx.WithLogger(logger), httpx.WithTracerProvider(tp), httpx.WithMeterProvider(metricnoop.NewMeterProvider()))
	}},
	"chain": loadbench.Middleware("middleware.Default(DefaultConfig{}) on a bare net/http.Server: the chain without httpx's server settings", func() func(http.Handler) http.Handler {
		return middleware.Default(middleware.DefaultConfig{})
	}),
	"layer-requestid": loadbench.Middleware("middleware.RequestID alone", func() func(http.Handler) http.Handler { return middleware.RequestID() }),
	"layer-trace-noop": loadbench.Middleware("middleware.Trace alone, no-op providers", func() func(http.Handler) http.Handler {
		return middleware.Trace(middleware.WithTracerProvider(tracenoop.NewTracerProvider()), middleware.WithMeterProvider(metricnoop.NewMeterProvider()))
	}),
	"layer-trace-sdk": loadbench.Middleware("middleware.Trace alone, OTel SDK at 1% sampling, no-op meter", func() func(http.Handler) http.Handler {
		_, tp := loadbench.Production()
		return middleware.Trace(middleware.WithTracerProvider(tp), middleware.WithMeterProvider(metricnoop.NewMeterProvider()))
	}),
	"layer-accesslog": loadbench.Middleware("middleware.AccessLog alone, zap JSON to a discarding sink", func() func(http.Handler) http.Handler {
		logger, _ := loadbench.Production()
		return middleware.AccessLog(middleware.WithLogger(logger))
	}),
	"layer-recover": loadbench.Middleware("middleware.Recover alone", func() func(http.Handler) http.Handler { return middleware.Recover() }),
	"layer-concurrency": loadbench.Middleware("limits.Concurrency(defaults) alone", func() func(http.Handler) http.Handler {
		return limits.Concurrency(limits.ConcurrencyConfig{})
	}),
	"layer-timeout": loadbench.Middleware("middleware.Timeout(30s) alone", func() func(http.Handler) http.Handler { return middleware.Timeout(30 * time.Second) }),
	"layer-body":    loadbench.Middleware("limits.Body(1 MiB) alone", func() func(http.Handler) http.Handler { return limits.Body(1 << 20) }),
	"layer-progress": loadbench.Middleware("limits.Progress(defaults) alone", func() func(http.Handler) http.Handler {
		return limits.Progress(limits.ProgressConfig{})
	}),
}

// hardenServer is httpx.NewServer with its defaults; over TLS its
// certificate comes from a tlsx source, as in production.
func hardenServer(e loadbench.Env, opts ...httpx.ServerOption) (loadbench.Server, error) {
	if e.TLS != nil {
		src, err := tlsx.NewServerSource(context.Background(), tlsx.DefaultServerConfig(e.CertFile, e.KeyFile))
		if err != nil {
			return nil, err
		}
		opts = append(opts, httpx.WithTLSSource(src))
	}
	return httpx.NewServer(httpx.DefaultServerConfig(), e.Handler, opts...)
}
