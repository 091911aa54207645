// Package middleware holds the server-side middleware that keeps a
// request's answer useful and its traces joined up, and the client-side
// RoundTrippers that carry the same IDs to the next service. Every server
// layer is a plain func(http.Handler) http.Handler and every client layer
// an [http.RoundTripper], so they compose with the standard library, chi,
// gorilla and otelhttp alike.
//
// # What it defends against
//
// Logs, traces and error answers that cannot be joined: a 503 the client
// quotes with no ID, an access-log line whose trace ID is not the span's,
// a panic logged by net/http with neither. Every log line, span and
// problem answer of a request here carries the same request ID, trace ID
// and span ID.
//
// Log injection and log inflation through request IDs: [RequestID]
// accepts an incoming X-Request-ID only when it is a short token of safe
// characters ([ValidRequestID]) and replaces anything else, CR and LF
// included, by a fresh random ID (CWE-117). [AccessLog] never logs
// Authorization, Cookie or Set-Cookie, and redacts credentials in query
// strings ([DefaultSensitiveQuery], [WithSensitiveQuery]).
//
// A handler that runs past its budget: [Timeout] bounds it with a
// context deadline and, when it has written nothing, answers 503
// application/problem+json (code [CodeHandlerTimeout]) at the deadline.
// It does not buffer the response, so streaming, [http.Flusher] and
// [http.ResponseController] keep working, and it runs the handler in the
// serving goroutine, so panics stay where [Recover] sees them.
//
// A handler that panics: [Recover] answers 500 problem+json (code
// [CodePanic]) when nothing was written yet, logs one line with the stack
// and the IDs, and leaves [http.ErrAbortHandler] to net/http.
//
// # The request path
//
// [Default] builds the whole server chain in the order of harden's
// design, fixed by construction:
//
//	RequestID -> Trace -> AccessLog -> Recover -> Shed -> Timeout
//	 -> Body -> Progress -> application middleware -> handler
//
// RequestID comes first so that every later answer and log line carries
// the ID; [Trace] (otelhttp) comes next so that the access log and the
// handler's [Logger] carry the span's IDs; the access log wraps every
// layer that can answer early, so a 413, 408, 431, 503 or 500 is logged
// with its request and names the guard that answered (answered_by);
// Recover sits outside Timeout, which leaves a handler's panic on the
// serving goroutine; Shed (package limits' concurrency limit) answers
// 503 for what the server cannot take at once, before Timeout so that
// waiting for a slot does not spend the handler's time; Body and Progress
// (package limits) refuse bodies that are too large or too slow;
// [WithGuard] adds checks on the request line and headers after Recover
// (package httpx puts its header size limit there, before Shed). [Chain] composes any list of middleware in reading order.
//
// Package httpx installs this chain in every server it builds, with the
// server configuration's limits and the logger and telemetry providers
// of its options.
//
// # Telemetry
//
// [Trace] continues the caller's W3C trace context and baggage and names
// the server span after the route the mux matched. With the global
// providers left at their no-op defaults it does not pay for spans and
// metrics: it only reads the caller's trace context, so log lines still
// carry the caller's trace ID.
//
// Whether a provider records is asked at each request. A meter provider
// is asked through the API: a synchronous instrument's Enabled reports
// false while no SDK (or no reader) is behind it. Go's trace API has no
// such question (the specification's Tracer Enabled operation,
// open-telemetry/opentelemetry-specification#4063, has no Go counterpart
// in go.opentelemetry.io/otel/trace v1.46), so a tracer provider counts
// as idle when it is trace/noop's, or when it is still the global
// provider the process started with and that one, probed once at start,
// answered a request for a span with no span of its own: the otel
// package's delegate before otel.SetTracerProvider. Until a propagator is
// installed, W3C Trace Context and Baggage are read and written, rather
// than the global default, which propagates nothing. [Logger] gives a handler the request's
// logger, with request_id, trace_id and span_id, and goroutines that take
// the request's context keep them.
//
// On the client side, [PropagateRequestID] sends the request ID on to
// the next service and [TraceTransport] (otelhttp) one client span per
// attempt with the trace context injected.
//
// # Answers on the wire
//
// Everything this package answers on its own behalf is
// application/problem+json (RFC 9457) with an explicit Content-Length, a
// stable code member naming the guard (such as [CodeHandlerTimeout]), and
// the request ID carried by the request's context, so a client can tell
// the server's refusal from the application's answer and quote the ID.
//
// # ResponseWriters
//
// Every ResponseWriter this package hands to the next handler implements
// [http.Flusher], [http.Hijacker] and Unwrap, so [http.ResponseController]
// reaches the connection for Flush, SetReadDeadline, SetWriteDeadline and
// EnableFullDuplex through the whole chain, otelhttp's wrapper included.
package middleware
