package middleware_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/harden-go/harden/middleware"
)

const (
	incomingTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingParent = "00f067aa0ba902b7"
	traceparent    = "00-" + incomingTrace + "-" + incomingParent + "-01"
)

func TestTraceContinuesIncomingTrace(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		tp, exp := newTracing(t)
		mux := http.NewServeMux()
		var inHandler trace.SpanContext
		mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
			inHandler = trace.SpanContextFromContext(r.Context())
		})
		ts := newServer(t, mode, middleware.Trace(middleware.WithTracerProvider(tp))(mux))
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/items/42", nil)
		req.Header.Set("Traceparent", traceparent)
		resp := do(t, ts, mode, req)
		_, _ = io.ReadAll(resp.Body) // the span ends before the answer does
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%d spans, want 1", len(spans))
		}
		s := spans[0]
		if got := s.SpanContext.TraceID().String(); got != incomingTrace {
			t.Errorf("trace ID %s, want the incoming %s", got, incomingTrace)
		}
		if got := s.Parent.SpanID().String(); got != incomingParent || !s.Parent.IsRemote() {
			t.Errorf("parent %s (remote %v), want the incoming %s", got, s.Parent.IsRemote(), incomingParent)
		}
		if s.SpanKind != trace.SpanKindServer {
			t.Errorf("span kind %v, want server", s.SpanKind)
		}
		if s.Name != "GET /items/{id}" {
			t.Errorf("span name %q, want the route", s.Name)
		}
		if !inHandler.Equal(s.SpanContext) {
			t.Errorf("handler's span context %v, want the server span's %v", inHandler, s.SpanContext)
		}
	})
}

func TestTraceStartsNewTraceOnMalformedTraceparent(t *testing.T) {
	bad := []string{
		"00-" + incomingTrace + "-" + incomingParent,                    // no flags
		"00-00000000000000000000000000000000-" + incomingParent + "-01", // zero trace ID
		"zz-" + incomingTrace + "-" + incomingParent + "-01",
		"00-" + incomingTrace + "-" + incomingParent + "-01\r\nX: y",
	}
	for _, tc := range bad {
		t.Run(tc[:8], func(t *testing.T) {
			tp, exp := newTracing(t)
			h := middleware.Trace(middleware.WithTracerProvider(tp))(http.NotFoundHandler())
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header["Traceparent"] = []string{tc}
			h.ServeHTTP(httptest.NewRecorder(), req)
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if !s.SpanContext.IsValid() || s.SpanContext.TraceID().String() == incomingTrace {
				t.Errorf("trace ID %s, want a new one", s.SpanContext.TraceID())
			}
			if s.Parent.IsValid() {
				t.Errorf("parent %v, want a root span", s.Parent)
			}
		})
	}
}

func TestTraceWithoutRouteNamesMethod(t *testing.T) {
	tp, exp := newTracing(t)
	h := middleware.Trace(middleware.WithTracerProvider(tp))(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/raw/path/123", nil))
	if s := exp.GetSpans(); len(s) != 1 || s[0].Name != "POST" {
		t.Errorf("spans %v, want one named POST", s)
	}
}

// TestTraceNoopProvidersOnlyExtract checks that with providers that do
// nothing, the handler runs on the caller's ResponseWriter (no otelhttp
// wrapper, no span) yet its context carries the incoming trace.
func TestTraceNoopProvidersOnlyExtract(t *testing.T) {
	tests := []struct {
		name string
		opts []middleware.TraceOption
	}{
		{"globals", nil},
		{"noop", []middleware.TraceOption{
			middleware.WithTracerProvider(tracenoop.NewTracerProvider()),
			middleware.WithMeterProvider(metricnoop.NewMeterProvider()),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			var gotW http.ResponseWriter
			var sc trace.SpanContext
			h := middleware.Trace(tc.opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotW = w
				sc = trace.SpanContextFromContext(r.Context())
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Traceparent", traceparent)
			h.ServeHTTP(rec, req)
			if gotW != http.ResponseWriter(rec) {
				t.Errorf("handler got %T, want the recorder itself", gotW)
			}
			if sc.TraceID().String() != incomingTrace || sc.SpanID().String() != incomingParent || !sc.IsRemote() {
				t.Errorf("context span %v, want the incoming one", sc)
			}
		})
	}
}

// TestTraceRealTracerWithNoopMeter checks that one real provider is
// enough to pay for spans.
func TestTraceRealTracerWithNoopMeter(t *testing.T) {
	tp, exp := newTracing(t)
	h := middleware.Trace(middleware.WithTracerProvider(tp), middleware.WithMeterProvider(metricnoop.NewMeterProvider()))(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if n := len(exp.GetSpans()); n != 1 {
		t.Errorf("%d spans, want 1", n)
	}
}

// TestTraceFollowsGlobalProviders checks that a Trace built before the
// application installs its SDK uses it from then on. It changes the otel
// globals, and puts no-op ones back when it ends.
func TestTraceFollowsGlobalProviders(t *testing.T) {
	h := middleware.Trace()(http.NotFoundHandler())
	send := func() {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Traceparent", traceparent)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	tp, exp := newTracing(t)
	send()
	if n := len(exp.GetSpans()); n != 0 {
		t.Fatalf("%d spans before the provider was installed", n)
	}
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(tracenoop.NewTracerProvider()) })
	send()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans after the provider was installed, want 1", len(spans))
	}
	if got := spans[0].SpanContext.TraceID().String(); got != incomingTrace {
		t.Errorf("trace ID %s, want the incoming %s", got, incomingTrace)
	}
}

// TestTraceRealMeterWithNoopTracer checks that a meter provider that
// records is enough to pay for otelhttp, whose request metrics it then
// receives, and that a meter provider without a reader records nothing
// and leaves the request to the extract-only path.
func TestTraceRealMeterWithNoopTracer(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	rec := httptest.NewRecorder()
	var gotW http.ResponseWriter
	h := middleware.Trace(middleware.WithTracerProvider(tracenoop.NewTracerProvider()), middleware.WithMeterProvider(mp))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		gotW = w
	}))
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if gotW == http.ResponseWriter(rec) {
		t.Error("the handler got the recorder itself: otelhttp was skipped although the meter provider records")
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			found = found || m.Name == "http.server.request.duration"
		}
	}
	if !found {
		t.Errorf("metrics %+v, want otelhttp's http.server.request.duration", rm.ScopeMetrics)
	}

	// Without a reader, the SDK's instruments are disabled.
	idle := sdkmetric.NewMeterProvider()
	t.Cleanup(func() { _ = idle.Shutdown(context.Background()) })
	h = middleware.Trace(middleware.WithTracerProvider(tracenoop.NewTracerProvider()), middleware.WithMeterProvider(idle))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		gotW = w
	}))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if gotW != http.ResponseWriter(rec) {
		t.Errorf("handler got %T with a meter provider that records nothing, want the recorder itself", gotW)
	}
}

// With a meter provider that records nothing, Trace makes the server
// span itself instead of through otelhttp; the span must be the one
// otelhttp makes: name, kind, scope, status and every attribute.
func TestTraceSpanWithoutMetricsMatchesOtelhttp(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		spanOf := func(mp metric.MeterProvider, host, path string, status int) tracetest.SpanStub {
			t.Helper()
			tp, exp := newTracing(t)
			mux := http.NewServeMux()
			mux.HandleFunc("POST /items/{id}", func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(status)
				_, _ = io.WriteString(w, "hello")
			})
			ts := newServer(t, mode, middleware.Trace(middleware.WithTracerProvider(tp), middleware.WithMeterProvider(mp))(mux))
			req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader("body"))
			req.Header.Set("User-Agent", "parity/1")
			req.Header.Set("X-Forwarded-For", "192.0.2.7, 10.0.0.1")
			if host != "" {
				req.Host = host
			}
			resp := do(t, ts, mode, req)
			_, _ = io.ReadAll(resp.Body)
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			return spans[0]
		}
		recording := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		t.Cleanup(func() { _ = recording.Shutdown(context.Background()) })
		for _, tc := range []struct {
			host, path string
			status     int
		}{
			{"", "/items/1?q=x", http.StatusCreated},
			{"", "/items/2", http.StatusBadGateway},
			{"", "/nowhere", http.StatusNotFound},
			{"example.com", "/items/3", http.StatusOK}, // a Host without a port
			{"[::1]", "/items/4", http.StatusOK},
		} {
			want := spanOf(recording, tc.host, tc.path, tc.status)
			got := spanOf(metricnoop.NewMeterProvider(), tc.host, tc.path, tc.status)
			if got.Name != want.Name || got.SpanKind != want.SpanKind || got.InstrumentationScope != want.InstrumentationScope || got.Status != want.Status {
				t.Errorf("%s: span %q %v %v %v, otelhttp's %q %v %v %v", tc.path,
					got.Name, got.SpanKind, got.InstrumentationScope, got.Status,
					want.Name, want.SpanKind, want.InstrumentationScope, want.Status)
			}
			attrs := func(s tracetest.SpanStub) map[attribute.Key]string {
				m := map[attribute.Key]string{}
				for _, kv := range s.Attributes {
					m[kv.Key] = kv.Value.String()
				}
				return m
			}
			g, w := attrs(got), attrs(want)
			for k, v := range w {
				if k == "server.port" || k == "network.peer.port" {
					// Each span comes from a server of its own; the ports
					// differ, their presence must not.
					if _, ok := g[k]; !ok {
						t.Errorf("%s: %s missing", tc.path, k)
					}
					continue
				}
				if g[k] != v {
					t.Errorf("%s: %s = %q, otelhttp's %q", tc.path, k, g[k], v)
				}
			}
			for k, v := range g {
				if _, ok := w[k]; !ok {
					t.Errorf("%s: %s = %q, which otelhttp does not set", tc.path, k, v)
				}
			}
		}
	})
}

// A response aborted by a panic that passes through Trace still leaves a
// span with the request's attributes, as otelhttp's has them.
func TestTraceSpanOfAbortedResponseHasRequestAttributes(t *testing.T) {
	tp, exp := newTracing(t)
	h := middleware.Trace(middleware.WithTracerProvider(tp), middleware.WithMeterProvider(metricnoop.NewMeterProvider()))(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/items/1", nil))
	}()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	if path := attr(spans[0], "url.path").AsString(); path != "/items/1" {
		t.Errorf("url.path = %q, want /items/1; attributes %v", path, spans[0].Attributes)
	}
}
