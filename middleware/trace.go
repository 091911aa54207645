package middleware

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

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
// When neither provider records, as the globals do not until the
// application installs an SDK, Trace only extracts the incoming trace
// context into the request's context, so that [Logger] and [AccessLog]
// still carry the caller's trace and span IDs, and skips otelhttp, its
// span and its metrics; an SDK installed later takes effect at once (see
// the package documentation, # Telemetry).
//
// When tracing, the ResponseWriter the handler receives is otelhttp's,
// which keeps [http.Flusher] and [http.Hijacker] when the one it wraps
// has them, and implements Unwrap for [http.ResponseController]; when
// not, it is the ResponseWriter Trace was given. The middleware is safe
// for concurrent use.
func Trace(opts ...Option) func(http.Handler) http.Handler {
	t := newTelemetry(newOptions(opts)).withIdleCheck()
	// otelhttp extracts the caller's context itself, with the propagator
	// resolved at each request. Given no tracer provider, it takes the
	// global one at each request, as the request it is handed carries no
	// span.
	otelOpts := append(t.otelOptions(), otelhttp.WithPropagators(livePropagator{t}))
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
			st, r := withState(r)
			if !t.idle(r.Context()) {
				traced.ServeHTTP(w, r)
				return
			}
			ctx := t.propagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			if ctx != r.Context() {
				r = r.WithContext(ctx)
			}
			next.ServeHTTP(w, r)
			noteRoute(st, r)
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
