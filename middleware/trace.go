package middleware

import (
	"context"
	"io"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/harden-go/harden/internal/reqcopy"
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
// (Request.Pattern), and carries it as http.route; without a pattern it
// is named after the method. When neither provider records, Trace only
// extracts the caller's trace context, so [Logger] and [AccessLog] still
// carry its IDs, and skips otelhttp; when only the meter provider
// records nothing, it makes otelhttp's span itself ("Telemetry" in the
// package documentation). The handler's ResponseWriter has [http.Flusher] and
// [http.Hijacker] when Trace's has them, and Unwrap. The middleware is
// safe for concurrent use.
func Trace(opts ...TraceOption) func(http.Handler) http.Handler {
	t := newTelemetry(newOptions(opts)).withIdleCheck()
	// otelhttp extracts the caller's context itself, with the propagator
	// resolved at each request. Given no tracer provider, it takes the
	// global one at each request, as the request it is handed carries no
	// span.
	otelOpts := append(t.otelOptions(), otelhttp.WithPropagators(livePropagator{t}))
	return func(next http.Handler) http.Handler {
		named := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := stateFrom(r.Context())
			defer func() { st.traced = r }()
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
		spans := &spanner{t: t}
		return layer(func(w http.ResponseWriter, r *http.Request, ctx context.Context, body io.ReadCloser) {
			st, ctx := withState(ctx)
			metersIdle := t.metersIdle(ctx)
			if metersIdle && !t.tracingIdle() {
				spans.serve(next, w, r, st, ctx, body)
				return
			}
			if !metersIdle {
				// otelhttp hands named a copy of the request it is
				// given; hand back across it what the handler left.
				defer func() {
					if st.traced != nil {
						reqcopy.HandBack(r, st.traced)
						st.traced = nil
					}
				}()
				traced.ServeHTTP(w, st.with(r, ctx, body))
				return
			}
			handOn(next, st, w, r, t.extract(ctx, r.Header), body)
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
