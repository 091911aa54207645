package middleware

import (
	"net/http"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// Option configures what cannot be written in a config file: the logger,
// telemetry providers, and the request-ID header and log policy that
// [RequestID], [Trace], [AccessLog], [Recover], [TraceTransport] and
// [Default] share. Each constructor uses the options that concern it and
// ignores the others, so one list can be handed to all of them.
type Option interface {
	apply(*options)
}

type options struct {
	logger    *zap.Logger
	header    string
	tp        trace.TracerProvider
	mp        metric.MeterProvider
	prop      propagation.TextMapPropagator
	sensitive []string
	sample    int
	guards    []func(http.Handler) http.Handler
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// DefaultRequestIDHeader is the header [RequestID] reads and sets unless
// [WithRequestIDHeader] names another.
const DefaultRequestIDHeader = "X-Request-ID"

func newOptions(opts []Option) options {
	// Canonical once here, so that reading and setting the header does
	// not canonicalize (and allocate) on every request.
	o := options{logger: zap.NewNop(), header: http.CanonicalHeaderKey(DefaultRequestIDHeader), sample: 1}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithLogger sets the logger of [AccessLog] (one line per request),
// [Recover] (one line per panic) and so of [Default], and the base of the
// request-scoped logger [Logger] gives handlers. Nil or absent: no
// logging. Packages httpx, retry and tlsx take their logger the same way.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithRequestIDHeader sets the header that carries the request ID, in and
// out, for [RequestID] and [PropagateRequestID]. Empty: X-Request-ID.
func WithRequestIDHeader(name string) Option {
	return optionFunc(func(o *options) {
		if name != "" {
			o.header = http.CanonicalHeaderKey(name)
		}
	})
}

// WithTracerProvider sets the tracer provider of [Trace] and
// [TraceTransport]. Nil or absent: the global one
// ([go.opentelemetry.io/otel.GetTracerProvider]), looked up at each
// request so that a provider installed after the middleware was built is
// used.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(o *options) { o.tp = tp })
}

// WithMeterProvider sets the meter provider of [Trace] and
// [TraceTransport]. Nil or absent: the global one.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) { o.mp = mp })
}

// WithPropagators sets how [Trace] reads and [TraceTransport] writes the
// trace context and baggage of a request. Nil or absent: the global
// propagator once one has been installed
// ([go.opentelemetry.io/otel.SetTextMapPropagator]); until then W3C Trace
// Context and Baggage, rather than the global default, which propagates
// nothing and would start a new trace at every service.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(o *options) { o.prop = p })
}

// WithSensitiveQuery adds query parameters whose values [AccessLog]
// replaces with "REDACTED". Names are matched without regard to case.
// Whatever is listed here comes on top of [DefaultSensitiveQuery].
func WithSensitiveQuery(names ...string) Option {
	return optionFunc(func(o *options) { o.sensitive = append(o.sensitive, names...) })
}

// WithSampling makes [AccessLog] log one in every n ordinary requests.
// Requests answered 5xx, and requests a harden guard answered (413, 408,
// 431, 503, a recovered panic), are always logged: they are the ones an
// operator looks for. n <= 1 logs every request.
func WithSampling(n int) Option {
	return optionFunc(func(o *options) { o.sample = max(n, 1) })
}

// WithGuard adds middleware that [Default] places right after [Recover]
// and before the handler timeout: checks that refuse a request on its
// request line and headers alone, such as httpx's header size limit, so
// that their answers are logged and traced like every other guard's.
func WithGuard(mw ...func(http.Handler) http.Handler) Option {
	return optionFunc(func(o *options) { o.guards = append(o.guards, mw...) })
}
