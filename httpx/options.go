package httpx

import (
	"crypto/tls"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/harden-go/harden/middleware"
	"github.com/harden-go/harden/tlsx"
)

// Option configures what cannot be written in a config file: loggers,
// telemetry providers and the servers an admin listener reports on.
type Option interface {
	apply(*options)
}

type options struct {
	logger    *zap.Logger
	readiness []Readiness
	tls       *tls.Config
	tlsSource *tlsx.ServerSource

	// telemetry of the server's request chain
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
}

// middleware returns the options of the server's request chain.
func (o options) middleware() []middleware.Option {
	return []middleware.Option{
		middleware.WithTracerProvider(o.tp),
		middleware.WithMeterProvider(o.mp),
		middleware.WithPropagators(o.prop),
	}
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

func newOptions(opts []Option) options {
	o := options{logger: zap.NewNop()}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithLogger sets the logger for lifecycle events (listening, draining,
// forced closes), for net/http's own error log, and for the request
// chain: one access-log line per request, recovered panics, and the
// request-scoped logger handlers get from middleware.Logger. Nil or
// absent: no logging.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// Readiness is what an admin server asks before answering /readyz.
// [*Server] implements it: it turns unready the moment its drain starts.
// A Readiness that also has a method Done() <-chan struct{} is waited for
// by [AdminServer.Run] before the admin listener closes, so probes see the
// drain until the end.
type Readiness interface {
	Ready() bool
}

// WithReadiness ties the admin server's /readyz to r; with several, all
// must be ready. Without any, /readyz answers 200 while the admin server
// runs.
func WithReadiness(r ...Readiness) Option {
	return optionFunc(func(o *options) {
		o.readiness = append(o.readiness, r...)
	})
}

// WithTracerProvider sets the tracer provider of the server's request
// spans. Nil or absent: the global provider, looked up at each request;
// while it is the no-op default, only the incoming trace context is read,
// so that log lines still carry the caller's trace ID.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(o *options) { o.tp = tp })
}

// WithMeterProvider sets the meter provider of the server's HTTP metrics.
// Nil or absent: the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) { o.mp = mp })
}

// WithPropagators sets how the server reads the trace context and baggage
// of incoming requests. Nil or absent: the global propagator once one is
// installed, W3C Trace Context and Baggage until then.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(o *options) { o.prop = p })
}
