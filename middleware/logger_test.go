package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/harden-go/harden/middleware"
)

func TestLoggerCarriesRequestIDs(t *testing.T) {
	tp, exp := newTracing(t)
	logger, logs := newLog()
	done := make(chan struct{})
	var child trace.SpanContext
	h := middleware.Default(middleware.DefaultConfig{}, middleware.WithLogger(logger), middleware.WithTracerProvider(tp))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		middleware.Logger(r.Context()).Info("in handler")
		go func(ctx context.Context) { // outlives the request, keeps its IDs
			defer close(done)
			middleware.Logger(ctx).Info("in goroutine")
		}(context.WithoutCancel(r.Context()))
		ctx, span := tp.Tracer("test").Start(r.Context(), "child")
		child = span.SpanContext()
		middleware.Logger(ctx).Info("in child span")
		span.End()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	<-done

	var server trace.SpanContext
	for _, s := range exp.GetSpans() {
		if s.SpanKind == trace.SpanKindServer {
			server = s.SpanContext
		}
	}
	id := rec.Header().Get("X-Request-ID")
	access := only(t, logs, "request")
	for _, msg := range []string{"in handler", "in goroutine"} {
		e := only(t, logs, msg)
		for _, k := range []string{"request_id", "trace_id", "span_id"} {
			if got, want := field(e, k), field(access, k); got != want || got == "" {
				t.Errorf("%s: %s %q, access log has %q", msg, k, got, want)
			}
		}
		if field(e, "request_id") != id || field(e, "span_id") != server.SpanID().String() {
			t.Errorf("%s: IDs %v, want request %s span %s", msg, e.ContextMap(), id, server.SpanID())
		}
	}
	e := only(t, logs, "in child span")
	if got := field(e, "span_id"); got != child.SpanID().String() {
		t.Errorf("child span_id %q, want %s", got, child.SpanID())
	}
	if got := field(e, "trace_id"); got != server.TraceID().String() {
		t.Errorf("child trace_id %q, want %s", got, server.TraceID())
	}
}

func TestLoggerOutsideChainIsNop(t *testing.T) {
	if l := middleware.Logger(context.Background()); l.Core().Enabled(-1) || l.Core().Enabled(5) {
		t.Error("Logger outside a chain logs")
	}
}

// One WithLogger reaches every layer that logs; a nil one, like none,
// logs nothing and answers as usual.
func TestWithLogger(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	logger, logs := newLog()
	rec := httptest.NewRecorder()
	middleware.Default(middleware.DefaultConfig{}, middleware.WithLogger(logger))(boom).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusInternalServerError || logs.FilterMessage("request").Len() != 1 || logs.FilterMessage("handler panicked").Len() != 1 {
		t.Errorf("status %d, lines %v; want 500, the access line and the panic line", rec.Code, logs.All())
	}
	for _, opts := range [][]middleware.DefaultOption{nil, {middleware.WithLogger(nil)}} {
		rec := httptest.NewRecorder()
		middleware.Default(middleware.DefaultConfig{}, opts...)(boom).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("options %v: status %d, want 500", opts, rec.Code)
		}
	}
}
