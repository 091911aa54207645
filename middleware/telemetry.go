package middleware

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// scope is the instrumentation scope of what this package asks the
// OpenTelemetry API for itself.
const scope = "github.com/harden-go/harden/middleware"

// telemetry resolves the options of [Trace] and [TraceTransport]: the
// providers and the propagator, explicit or global, and whether they
// record anything ("Telemetry" in the package documentation).
type telemetry struct {
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
	// meters is an instrument of the meter provider otelhttp uses,
	// whose Enabled says whether that provider records; nil when it
	// could not be made, which counts as recording. Only [Trace], which
	// skips otelhttp when idle, sets it.
	meters metric.Float64Histogram
}

func newTelemetry(o options) telemetry {
	return telemetry{tp: o.tp, mp: o.mp, prop: o.prop}
}

// withIdleCheck returns t able to tell whether it is idle. Like otelhttp,
// it takes the global meter provider as it is now; the global provider
// the process starts with is a delegate that forwards to the SDK the
// application installs later.
func (t telemetry) withIdleCheck() telemetry {
	mp := t.mp
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	t.meters, _ = mp.Meter(scope).Float64Histogram("harden.telemetry.enabled")
	return t
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

// idle reports whether neither provider records anything, so that
// spans and metrics are not worth their cost.
func (t telemetry) idle(ctx context.Context) bool {
	return t.metersIdle(ctx) && t.tracingIdle()
}

// metersIdle reports whether the meter provider records nothing, asked
// through an instrument's Enabled, the API's supported test.
func (t telemetry) metersIdle(ctx context.Context) bool {
	return t.meters != nil && !t.meters.Enabled(ctx)
}

// tracingIdle reports whether the tracer provider records nothing; the
// API gives no test, so tracingIdle decides.
func (t telemetry) tracingIdle() bool {
	tp := t.tp
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return tracingIdle(tp)
}

// propagator returns the propagator to use now: the explicit one, else
// the global one, else, while the global one is still the idle delegate
// the process started with, W3C Trace Context and Baggage.
func (t telemetry) propagator() propagation.TextMapPropagator {
	if t.prop != nil {
		return t.prop
	}
	p := otel.GetTextMapPropagator()
	if startup.propIdle && p == startup.prop {
		return w3c
	}
	return p
}

// extract returns ctx with the trace context and baggage of h, read by
// the propagator in force.
func (t telemetry) extract(ctx context.Context, h http.Header) context.Context {
	return t.propagator().Extract(ctx, headerCarrier(h))
}

// headerCarrier is propagation.HeaderCarrier for reading, without the
// allocation of canonicalizing the W3C header names on every request:
// "traceparent" is not among the names net/textproto knows by heart.
type headerCarrier http.Header

func (c headerCarrier) Get(key string) string {
	if v := c.Values(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values implements propagation.ValuesGetter, which the baggage
// propagator uses.
func (c headerCarrier) Values(key string) []string {
	switch key {
	case "traceparent":
		return c["Traceparent"]
	case "tracestate":
		return c["Tracestate"]
	case "baggage":
		return c["Baggage"]
	}
	return http.Header(c).Values(key)
}

func (c headerCarrier) Set(key, value string) { http.Header(c).Set(key, value) }

func (c headerCarrier) Keys() []string { return propagation.HeaderCarrier(c).Keys() }

// w3c is the propagator used when none is configured and the global one
// has not been installed.
var w3c propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// livePropagator is t's propagator as it is at each use, for otelhttp.
type livePropagator struct{ t telemetry }

func (p livePropagator) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	p.t.propagator().Inject(ctx, c)
}

func (p livePropagator) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	return p.t.propagator().Extract(ctx, c)
}

func (p livePropagator) Fields() []string { return p.t.propagator().Fields() }

// tracingIdle below is the one place that decides whether a tracer
// provider records; the package documentation ("Telemetry") says why it
// cannot ask the API, and telemetry_internal_test.go tests it.

// startup is the global tracer provider and propagator as this package
// finds them when it is initialised, before any application code runs,
// and whether each was idle then: normally the otel package's delegates,
// which do nothing until the application installs its own.
var startup = probeGlobals()

type globals struct {
	tp       trace.TracerProvider
	tpIdle   bool
	prop     propagation.TextMapPropagator
	propIdle bool
}

func probeGlobals() globals {
	tp, prop := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	return globals{tp: tp, tpIdle: createsNoSpan(tp), prop: prop, propIdle: len(prop.Fields()) == 0}
}

// tracingIdle reports whether tp records nothing: it is trace/noop's
// provider, or it is still the global provider the process started with
// and that one created no span of its own. Once the application calls
// otel.SetTracerProvider, the global provider is another value, so it
// is no longer idle.
func tracingIdle(tp trace.TracerProvider) bool {
	switch tp.(type) {
	case tracenoop.TracerProvider, *tracenoop.TracerProvider:
		return true
	}
	return startup.tpIdle && tp == startup.tp
}

// probeParent is the remote parent of createsNoSpan's span; it is not
// sampled, so an SDK's default (parent-based) sampler drops the span.
var probeParent = trace.NewSpanContext(trace.SpanContextConfig{
	TraceID: trace.TraceID{0x68, 0x61, 0x72, 0x64, 0x65, 0x6e, 1},
	SpanID:  trace.SpanID{0x68, 0x61, 0x72, 0x64, 0x65, 0x6e, 1},
	Remote:  true,
})

// createsNoSpan reports whether tp, asked for a span under a remote
// parent, hands back the parent's context instead of a span of its own:
// what a provider that records nothing does (trace/noop's, and the
// global delegate while no SDK is installed), and what no SDK does, even
// when its sampler drops the span (a dropped span still gets its own ID).
// A span an SDK records anyway is left unended, so it is never exported.
func createsNoSpan(tp trace.TracerProvider) bool {
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), probeParent)
	_, span := tp.Tracer(scope).Start(ctx, "idle probe")
	return !span.IsRecording() && span.SpanContext().Equal(probeParent)
}
