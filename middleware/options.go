package middleware

import (
	"net/http"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// DefaultOption configures [Default], which takes every option of the
// package ("Options" in the package documentation).
type DefaultOption interface {
	apply(*options)
}

// RequestIDOption configures [RequestID] and [PropagateRequestID].
type RequestIDOption interface {
	DefaultOption
	forRequestID()
}

// TraceOption configures [Trace] and [TraceTransport].
type TraceOption interface {
	DefaultOption
	forTrace()
}

// AccessLogOption configures [AccessLog].
type AccessLogOption interface {
	DefaultOption
	forAccessLog()
}

// LogOption sets the logger of [AccessLog], [Recover] and [Default].
type LogOption interface {
	AccessLogOption
	forRecover()
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

// The option types, one per set of constructors that use the option.
type (
	defaultOption   func(*options)
	requestIDOption func(*options)
	traceOption     func(*options)
	accessLogOption func(*options)
	logOption       func(*options)
)

func (f defaultOption) apply(o *options)   { f(o) }
func (f requestIDOption) apply(o *options) { f(o) }
func (f traceOption) apply(o *options)     { f(o) }
func (f accessLogOption) apply(o *options) { f(o) }
func (f logOption) apply(o *options)       { f(o) }

func (requestIDOption) forRequestID() {}
func (traceOption) forTrace()         {}
func (accessLogOption) forAccessLog() {}
func (logOption) forAccessLog()       {}
func (logOption) forRecover()         {}

// DefaultRequestIDHeader is the header [RequestID] reads and sets unless
// [WithRequestIDHeader] names another.
const DefaultRequestIDHeader = "X-Request-ID"

func newOptions[O DefaultOption](opts []O) options {
	// Canonical once here, so that reading and setting the header does
	// not canonicalize (and allocate) on every request.
	o := options{logger: zap.NewNop(), header: http.CanonicalHeaderKey(DefaultRequestIDHeader), sample: 1}
	for _, opt := range opts {
		if any(opt) != nil {
			opt.apply(&o)
		}
	}
	return o
}

// only returns the options of opts that are of type O, in order: those
// of one layer of [Default].
func only[O DefaultOption](opts []DefaultOption) []O {
	var out []O
	for _, opt := range opts {
		if o, ok := opt.(O); ok {
			out = append(out, o)
		}
	}
	return out
}

// WithLogger sets the logger of [AccessLog] (one line per request),
// [Recover] (one line per panic) and so of [Default], and the base of the
// request-scoped logger [Logger] gives handlers. Nil or absent: no
// logging. Packages httpx, retry and tlsx take their logger the same way.
func WithLogger(l *zap.Logger) LogOption {
	return logOption(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithRequestIDHeader sets the header that carries the request ID, in and
// out, for [RequestID] and [PropagateRequestID]. Empty: X-Request-ID.
func WithRequestIDHeader(name string) RequestIDOption {
	return requestIDOption(func(o *options) {
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
func WithTracerProvider(tp trace.TracerProvider) TraceOption {
	return traceOption(func(o *options) { o.tp = tp })
}

// WithMeterProvider sets the meter provider of [Trace] and
// [TraceTransport]. Nil or absent: the global one.
func WithMeterProvider(mp metric.MeterProvider) TraceOption {
	return traceOption(func(o *options) { o.mp = mp })
}

// WithPropagators sets how [Trace] reads and [TraceTransport] writes the
// trace context and baggage of a request. Nil or absent: the global
// propagator once one has been installed
// ([go.opentelemetry.io/otel.SetTextMapPropagator]); until then W3C Trace
// Context and Baggage, rather than the global default, which propagates
// nothing and would start a new trace at every service.
func WithPropagators(p propagation.TextMapPropagator) TraceOption {
	return traceOption(func(o *options) { o.prop = p })
}

// WithSensitiveQuery adds query parameters whose values [AccessLog]
// replaces with "REDACTED". Names are matched without regard to case.
// Whatever is listed here comes on top of [DefaultSensitiveQuery].
func WithSensitiveQuery(names ...string) AccessLogOption {
	return accessLogOption(func(o *options) { o.sensitive = append(o.sensitive, names...) })
}

// WithSampling makes [AccessLog] log one in every n ordinary requests.
// Requests answered 5xx, and requests a harden guard answered (413, 408,
// 431, 503, a recovered panic), are always logged: they are the ones an
// operator looks for. n <= 1 logs every request.
func WithSampling(n int) AccessLogOption {
	return accessLogOption(func(o *options) { o.sample = max(n, 1) })
}

// WithGuard adds middleware that [Default] places right after [Recover]
// and before the handler timeout: checks that refuse a request on its
// request line and headers alone, such as httpx's header size limit, so
// that their answers are logged and traced like every other guard's.
func WithGuard(mw ...func(http.Handler) http.Handler) DefaultOption {
	return defaultOption(func(o *options) { o.guards = append(o.guards, mw...) })
}
