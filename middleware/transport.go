package middleware

import (
	"net/http"
	"sync"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
)

// PropagateRequestID returns a RoundTripper that sends the request ID of
// each request's context ([RequestIDFrom]) in the X-Request-ID header (or
// the one named by [WithRequestIDHeader]) to the next service, so that
// its logs join this one's. A request whose context has no ID, or that
// already carries the header, is sent as it is.
//
// It clones the request before setting the header and never modifies the
// caller's; placed outside a retrying transport, it sends the same ID
// with every attempt. A nil base means [http.DefaultTransport]. The
// request body is the base's to close, on every path, as the
// RoundTripper contract requires.
func PropagateRequestID(base http.RoundTripper, opts ...RequestIDOption) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &propagateID{base: base, header: newOptions(opts).header}
}

type propagateID struct {
	base   http.RoundTripper
	header string
}

var _ http.RoundTripper = (*propagateID)(nil)

func (t *propagateID) RoundTrip(req *http.Request) (*http.Response, error) {
	id := RequestIDFrom(req.Context())
	if id == "" || req.Header.Get(t.header) != "" {
		return t.base.RoundTrip(req)
	}
	r2 := req.Clone(req.Context())
	r2.Header.Set(t.header, id)
	return t.base.RoundTrip(r2)
}

// TraceTransport returns otelhttp's Transport around base: one client
// span per attempt, named after the method, and the trace context and
// baggage injected into the outgoing headers, on the providers and
// propagators of [WithTracerProvider], [WithMeterProvider] and
// [WithPropagators] (defaults: the globals, and W3C Trace Context and
// Baggage until a global propagator is installed). While neither
// provider records, it only injects the caller's trace context
// ("Telemetry" in the package documentation). A nil base means
// [http.DefaultTransport].
func TraceTransport(base http.RoundTripper, opts ...TraceOption) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	t := newTelemetry(newOptions(opts)).withIdleCheck()
	traced := otelhttp.NewTransport(base, append(t.otelOptions(), otelhttp.WithPropagators(livePropagator{t}))...)
	return &traceTransport{t: t, traced: traced, base: base}
}

// traceTransport is [TraceTransport]: otelhttp's Transport, or, while
// neither provider records anything ("Telemetry" in the package
// documentation), the base with the caller's trace context injected as
// otelhttp would, without otelhttp's span, metric attributes and body
// wrapper.
type traceTransport struct {
	t      telemetry
	traced http.RoundTripper
	base   http.RoundTripper
}

var _ http.RoundTripper = (*traceTransport)(nil)

func (tt *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !tt.t.idle(ctx) {
		return tt.traced.RoundTrip(req)
	}
	c := carriers.Get().(*cloningCarrier)
	c.req = req
	tt.t.propagator().Inject(ctx, c)
	req = c.req
	*c = cloningCarrier{}
	carriers.Put(c)
	return tt.base.RoundTrip(req)
}

// carriers holds the idle cloningCarriers: a propagator uses its carrier
// only during Inject, so one is reused rather than allocated per request.
var carriers = sync.Pool{New: func() any { return new(cloningCarrier) }}

// cloningCarrier injects into the headers of a clone of the request,
// made at the first header set, so that the caller's request is never
// modified and a request with nothing to inject is not copied.
type cloningCarrier struct {
	req    *http.Request
	cloned bool
}

func (c *cloningCarrier) Get(key string) string { return c.req.Header.Get(key) }

func (c *cloningCarrier) Set(key, value string) {
	if !c.cloned {
		c.req, c.cloned = c.req.Clone(c.req.Context()), true
	}
	c.req.Header.Set(key, value)
}

func (c *cloningCarrier) Keys() []string { return propagation.HeaderCarrier(c.req.Header).Keys() }
