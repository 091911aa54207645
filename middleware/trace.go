package middleware

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// The global providers and propagator as the otel package starts them: a
// delegate that does nothing until the application installs its own.
// They are recorded before any application code runs, and only if they
// are that delegate (another package's init may have installed a real
// provider already).
var (
	initialTP   = otel.GetTracerProvider()
	initialMP   = otel.GetMeterProvider()
	initialProp = otel.GetTextMapPropagator()

	initialTPIsNoop   = fmt.Sprintf("%T", initialTP) == "*global.tracerProvider"
	initialMPIsNoop   = fmt.Sprintf("%T", initialMP) == "*global.meterProvider"
	initialPropIsNoop = fmt.Sprintf("%T", initialProp) == "*global.textMapPropagator"
)

// w3c is the propagator used when none is configured and the global one
// has not been installed.
var w3c propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// noPropagation is handed to otelhttp, whose extraction [Trace] has
// already done.
var noPropagation propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator()

// isNoopTracing reports whether tp does nothing: the no-op provider, or
// the global one before the application installed a provider.
func isNoopTracing(tp trace.TracerProvider) bool {
	switch tp.(type) {
	case tracenoop.TracerProvider, *tracenoop.TracerProvider:
		return true
	}
	return initialTPIsNoop && tp == initialTP
}

// isNoopMetrics is isNoopTracing for meter providers.
func isNoopMetrics(mp metric.MeterProvider) bool {
	switch mp.(type) {
	case metricnoop.MeterProvider, *metricnoop.MeterProvider:
		return true
	}
	return initialMPIsNoop && mp == initialMP
}

// telemetry resolves the options of [Trace] and [TraceTransport] at each
// request, so that global providers installed after the middleware was
// built take effect.
type telemetry struct {
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
}

func (t telemetry) propagator() propagation.TextMapPropagator {
	if t.prop != nil {
		return t.prop
	}
	p := otel.GetTextMapPropagator()
	if initialPropIsNoop && p == initialProp {
		return w3c
	}
	return p
}

// off reports whether both providers do nothing, so that spans and
// metrics are not worth their cost.
func (t telemetry) off() bool {
	tp, mp := t.tp, t.mp
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return isNoopTracing(tp) && isNoopMetrics(mp)
}

// otelOptions are the otelhttp options for t, propagation aside.
func (t telemetry) otelOptions() []otelhttp.Option {
	var o []otelhttp.Option
	if t.tp != nil {
		o = append(o, otelhttp.WithTracerProvider(t.tp))
	}
	if t.mp != nil {
		o = append(o, otelhttp.WithMeterProvider(t.mp))
	}
	return o
}

// Trace returns middleware that continues the caller's trace: it reads
// the W3C traceparent and baggage headers (or what [WithPropagators]
// names) and runs the request in a server span of otelhttp, with its
// metrics, on the providers of [WithTracerProvider] and
// [WithMeterProvider] (default: the globals). An invalid traceparent is
// ignored, as the W3C Trace Context recommendation requires, and the
// request starts a new trace.
//
// The span is named after the route the mux matched, "GET /items/{id}"
// (Request.Pattern, Go 1.22 ServeMux), rather than the raw path, which
// would make one span name per item, and carries it as http.route.
// ServeMux sets the pattern on the request it receives, once it has
// routed; the span is renamed when the handler returns, provided that
// the middleware between Trace and the mux are harden's, or pass the mux
// the request they received. Without a pattern the span is named after
// the method alone.
//
// When both providers do nothing, as the globals do until the
// application installs an SDK, Trace only extracts the incoming trace
// context into the request's context, so that [Logger] and [AccessLog]
// still carry the caller's trace and span IDs, and skips otelhttp, its
// span and its metrics. The providers are looked at on every request,
// so a provider installed later takes effect at once.
//
// When tracing, the ResponseWriter the handler receives is otelhttp's,
// which keeps [http.Flusher] and [http.Hijacker] when the one it wraps
// has them, and implements Unwrap for [http.ResponseController]; when
// not, it is the ResponseWriter Trace was given. The middleware is safe
// for concurrent use.
func Trace(opts ...Option) func(http.Handler) http.Handler {
	o := newOptions(opts)
	t := telemetry{tp: o.tp, mp: o.mp, prop: o.prop}
	otelOpts := append(t.otelOptions(), otelhttp.WithPropagators(noPropagation))
	if t.tp == nil {
		// Without a provider, otelhttp takes the one of the span in the
		// request's context, and the caller's span extracted above is a
		// remote one, whose provider does nothing.
		otelOpts = append(otelOpts, otelhttp.WithTracerProvider(globalTracing{}))
	}
	return func(next http.Handler) http.Handler {
		named := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := stateFrom(r.Context())
			next.ServeHTTP(w, r)
			noteRoute(st, r)
			if route := routeOf(st); route != "" {
				span := trace.SpanFromContext(r.Context())
				path := routePath(route)
				span.SetName(r.Method + " " + path)
				span.SetAttributes(attribute.String("http.route", path))
			}
		})
		traced := otelhttp.NewHandler(named, "", otelOpts...)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, r = withState(r)
			ctx := t.propagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			if ctx != r.Context() {
				r = r.WithContext(ctx)
			}
			if t.off() {
				st := stateFrom(r.Context())
				next.ServeHTTP(w, r)
				noteRoute(st, r)
				return
			}
			traced.ServeHTTP(w, r)
		})
	}
}

// routePath returns the path part of a ServeMux pattern: the pattern
// without its method ("GET /items/{id}" -> "/items/{id}").
func routePath(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		return strings.TrimLeft(pattern[i+1:], " \t")
	}
	return pattern
}

// transportPropagator resolves the propagator at each use, for
// [TraceTransport].
type transportPropagator struct{ t telemetry }

func (p transportPropagator) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	p.t.propagator().Inject(ctx, c)
}

func (p transportPropagator) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	return p.t.propagator().Extract(ctx, c)
}

func (p transportPropagator) Fields() []string { return p.t.propagator().Fields() }

// globalTracing is the global tracer provider as it is at each span's
// start, whatever it was when the middleware was built.
type globalTracing struct{ embedded.TracerProvider }

func (globalTracing) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return globalTracer{name: name, opts: opts}
}

type globalTracer struct {
	embedded.Tracer
	name string
	opts []trace.TracerOption
}

func (t globalTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return otel.GetTracerProvider().Tracer(t.name, t.opts...).Start(ctx, name, opts...)
}
