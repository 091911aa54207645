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

// ServerOption configures [NewServer].
type ServerOption interface {
	applyServer(*serverOptions)
}

// AdminOption configures [NewAdminServer].
type AdminOption interface {
	applyAdmin(*adminOptions)
}

// Option is accepted by every constructor of the package. Options carry
// what cannot be written in a config file (loggers, telemetry providers,
// TLS sources, the servers an admin listener reports on), and each
// constructor has its own option type, so that an option it would ignore
// does not compile: [ServerOption] for [NewServer], [AdminOption] for
// [NewAdminServer], [TransportOption] for [NewTransport], [ClientOption]
// for [NewClient], [TelemetryOption] for every constructor that traces
// requests, and Option, returned by [WithLogger], for all of them.
type Option interface {
	ServerOption
	AdminOption
	ClientOption
	TransportOption
}

// TelemetryOption sets how requests are traced and measured; it is
// accepted by every constructor that traces requests.
type TelemetryOption interface {
	ServerOption
	ClientOption
}

type serverOptions struct {
	logger    *zap.Logger
	tls       *tls.Config
	tlsSource *tlsx.ServerSource
	// tlsBy names the option that set tls, and tlsConflict records that
	// the other one had set it before: one of them would be ignored.
	tlsBy       string
	tlsConflict bool
	telemetry
}

type adminOptions struct {
	logger    *zap.Logger
	readiness []Readiness
}

// telemetry holds the providers of a request chain, server or client.
type telemetry struct {
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
}

// middleware returns the options of a request chain's telemetry.
func (t telemetry) middleware() []middleware.TraceOption {
	return []middleware.TraceOption{
		middleware.WithTracerProvider(t.tp),
		middleware.WithMeterProvider(t.mp),
		middleware.WithPropagators(t.prop),
	}
}

type serverOptionFunc func(*serverOptions)

func (f serverOptionFunc) applyServer(o *serverOptions) { f(o) }

type adminOptionFunc func(*adminOptions)

func (f adminOptionFunc) applyAdmin(o *adminOptions) { f(o) }

type telemetryOption func(*telemetry)

func (f telemetryOption) applyServer(o *serverOptions) { f(&o.telemetry) }

type loggerOption struct{ l *zap.Logger }

func (o loggerOption) applyServer(s *serverOptions) {
	if o.l != nil {
		s.logger = o.l
	}
}

func (o loggerOption) applyAdmin(a *adminOptions) {
	if o.l != nil {
		a.logger = o.l
	}
}

func newServerOptions(opts []ServerOption) serverOptions {
	o := serverOptions{logger: zap.NewNop()}
	for _, opt := range opts {
		if opt != nil {
			opt.applyServer(&o)
		}
	}
	return o
}

func newAdminOptions(opts []AdminOption) adminOptions {
	o := adminOptions{logger: zap.NewNop()}
	for _, opt := range opts {
		if opt != nil {
			opt.applyAdmin(&o)
		}
	}
	return o
}

// WithLogger sets the logger of every constructor. For a server: lifecycle
// events (listening, draining, forced closes), net/http's own error log,
// and the request chain: one access-log line per request, recovered
// panics, and the request-scoped logger handlers get from
// middleware.Logger. Nil or absent: no logging.
func WithLogger(l *zap.Logger) Option {
	return loggerOption{l}
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
func WithReadiness(r ...Readiness) AdminOption {
	return adminOptionFunc(func(o *adminOptions) {
		o.readiness = append(o.readiness, r...)
	})
}

// WithTracerProvider sets the tracer provider of the request spans. Nil
// or absent: the global provider, looked up at each request; while it is
// the no-op default, only the incoming trace context is read, so that log
// lines still carry the caller's trace ID.
func WithTracerProvider(tp trace.TracerProvider) TelemetryOption {
	return telemetryOption(func(t *telemetry) { t.tp = tp })
}

// WithMeterProvider sets the meter provider of the HTTP metrics. Nil or
// absent: the global provider.
func WithMeterProvider(mp metric.MeterProvider) TelemetryOption {
	return telemetryOption(func(t *telemetry) { t.mp = mp })
}

// WithPropagators sets how the trace context and baggage of requests are
// read and written. Nil or absent: the global propagator once one is
// installed, W3C Trace Context and Baggage until then.
func WithPropagators(p propagation.TextMapPropagator) TelemetryOption {
	return telemetryOption(func(t *telemetry) { t.prop = p })
}
