package middleware

import (
	"net/http"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/propagation"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// The providers that record nothing are told from those that record,
// whatever their sampler, through the trace API alone. (The global
// delegate is probed at init; TestTracingIdle checks what it found.)
func TestCreatesNoSpan(t *testing.T) {
	sdk := func(s sdktrace.Sampler) trace.TracerProvider {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s))
		t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
		return tp
	}
	cases := []struct {
		name string
		tp   trace.TracerProvider
		want bool
	}{
		{"trace/noop", tracenoop.NewTracerProvider(), true},
		{"SDK, default sampler", sdk(sdktrace.ParentBased(sdktrace.AlwaysSample())), false},
		{"SDK, always sample", sdk(sdktrace.AlwaysSample()), false},
		{"SDK, never sample", sdk(sdktrace.NeverSample()), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := createsNoSpan(tc.tp); got != tc.want {
				t.Errorf("createsNoSpan = %v, want %v", got, tc.want)
			}
		})
	}
}

// tracingIdle holds for trace/noop's provider and for the global one
// the process started with, and for no SDK.
func TestTracingIdle(t *testing.T) {
	if !startup.tpIdle || !startup.propIdle {
		t.Fatalf("startup = %+v; want the otel package's idle delegates", startup)
	}
	sdk := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = sdk.Shutdown(t.Context()) })
	noop := tracenoop.NewTracerProvider()
	for _, tc := range []struct {
		name string
		tp   trace.TracerProvider
		want bool
	}{
		{"trace/noop", noop, true},
		{"*trace/noop", &noop, true},
		{"the global provider at start", startup.tp, true},
		{"SDK", sdk, false},
	} {
		if got := tracingIdle(tc.tp); got != tc.want {
			t.Errorf("%s: tracingIdle = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// headerCarrier reads what propagation.HeaderCarrier reads, for the W3C
// names it looks up directly and for every other name.
func TestHeaderCarrierReadsLikeHeaderCarrier(t *testing.T) {
	h := http.Header{}
	h.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.Set("Tracestate", "k=v")
	h.Add("Baggage", "a=1")
	h.Add("Baggage", "b=2")
	h.Set("B3", "x")
	want, got := propagation.HeaderCarrier(h), headerCarrier(h)
	for _, key := range []string{"traceparent", "tracestate", "baggage", "b3", "missing"} {
		if got.Get(key) != want.Get(key) || !slices.Equal(got.Values(key), want.Values(key)) {
			t.Errorf("%s: %q %q, want %q %q", key, got.Get(key), got.Values(key), want.Get(key), want.Values(key))
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(got.Keys())), slices.Sorted(slices.Values(want.Keys()))) {
		t.Errorf("keys %v, want %v", got.Keys(), want.Keys())
	}
}
