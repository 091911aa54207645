package retry

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Under otelhttp's transport as base, each attempt is its own client span,
// all children of the caller's span.
func TestSpanPerAttempt(t *testing.T) {
	srv := newServer(t, "h1", failN(2, http.StatusServiceUnavailable))
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })

	base := otelhttp.NewTransport(srv.base(t), otelhttp.WithTracerProvider(tp))
	tr := mustTransport(t, base, fastPolicy(), withClock(&fakeClock{}))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	parent.End()

	var attempts []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindClient {
			attempts = append(attempts, s)
		}
	}
	if len(attempts) != 3 {
		t.Fatalf("%d client spans, want 3 (one per attempt)", len(attempts))
	}
	for _, s := range attempts {
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %q is not a child of the caller's span", s.Name())
		}
	}
	ids := map[trace.SpanID]bool{}
	for _, s := range attempts {
		ids[s.SpanContext().SpanID()] = true
	}
	if len(ids) != 3 {
		t.Errorf("attempt spans share IDs: %d distinct", len(ids))
	}
}

func counterValues(t *testing.T, r *sdkmetric.ManualReader) map[string]map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scopeName {
			continue
		}
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("%s is %T, want a sum", m.Name, m.Data)
			}
			out[m.Name] = map[string]int64{}
			for _, dp := range sum.DataPoints {
				key := ""
				for _, kv := range dp.Attributes.ToSlice() {
					key += string(kv.Key) + "=" + kv.Value.AsString()
				}
				out[m.Name][key] += dp.Value
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	ts := &tokenServer{}
	ts.valid.Store("tok2")
	// One 503, then a 401 (tok1 is stale), then 200 with tok2.
	var n int
	srv := newServer(t, "h1", func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		ts.handler(http.StatusUnauthorized, "expired")(w, r)
	})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	f := &sequenceFetch{}
	p := fastPolicy()
	p.Budget = BudgetConfig{Ratio: 0.0001, MinPerSecond: 0.1} // 1 retry per 10s window
	tr := mustTransport(t, srv.base(t), p, WithMeterProvider(mp), WithAuthenticator(TokenAuth(f.fetch)), withClock(&fakeClock{}))

	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	// The budget is now spent: the next 503 is returned unretried.
	n = 0
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err = tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)

	got := counterValues(t, reader)
	want := map[string]map[string]int64{
		MetricAttempts:        {"": 4},
		MetricRetries:         {"reason=transient": 1},
		MetricRenewals:        {"outcome=ok": 1},
		MetricBudgetExhausted: {"": 1},
	}
	for name, w := range want {
		for k, v := range w {
			if got[name][k] != v {
				t.Errorf("%s{%s} = %d, want %d (all: %v)", name, k, got[name][k], v, got)
			}
		}
	}
}

func TestLogsRetryDecisions(t *testing.T) {
	srv := newServer(t, "h1", failN(100, http.StatusServiceUnavailable))
	core, logs := observer.New(zapcore.DebugLevel)
	p := fastPolicy()
	p.MaxAttempts = 2
	tr := mustTransport(t, srv.base(t), p, WithLogger(zap.New(core)), withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?token=x", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)

	retries := logs.FilterMessage("retry: retrying").All()
	if len(retries) != 1 || retries[0].Level != zapcore.DebugLevel || retries[0].ContextMap()["reason"] != "transient" {
		t.Errorf("retry entries %v, want one at debug with reason transient", retries)
	}
	gaveUp := logs.FilterMessage("retry: giving up").All()
	if len(gaveUp) != 1 || gaveUp[0].ContextMap()["reason"] != "attempts exhausted" {
		t.Errorf("give-up entries %v, want one with reason attempts exhausted", gaveUp)
	}
}
