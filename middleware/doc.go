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
// application/problem+json (code [CodeHandlerTimeout]) at the deadline,
// without buffering the response (see "Handler timeout" below).
//
// A handler that panics: [Recover] answers 500 problem+json (code
// [CodePanic]) when nothing was written yet, logs one line with the stack
// and the IDs, and leaves [http.ErrAbortHandler] to net/http. A panic
// after the handler began its answer aborts the response as net/http
// alone would (HTTP/1.1 closes the connection mid-body, HTTP/2 resets
// the stream), so neither the client nor a cache on the way takes a
// truncated body for a whole one.
//
// # The request path
//
// [Default] builds the whole server chain; its doc comment gives the
// order. Each position has a reason. RequestID is outermost so that every
// later answer and log line carries the ID. [Trace] (otelhttp) comes next
// so that the access log, the handler's [Logger] and every problem answer
// carry the span's IDs. The access log wraps every layer that can answer
// early, so a 413, 408, 431, 503 or 500 is logged with its request and
// names the guard that answered (answered_by). Recover sits outside the
// handler timeout, which leaves a handler's panic on the serving
// goroutine; [WithGuard] places checks on the request line and headers
// right after it (package httpx puts its header size limit there).
// [limits.Concurrency] answers 503 for what the server
// cannot take at once, before the timeout, so that waiting for a slot
// does not spend the handler's time and a handler timeout counts against
// the limit as a server-side failure. The timeout comes before the body
// guards of package limits, so the handler's deadline bounds every body
// read. [Chain] composes any list of
// middleware in reading order.
//
// Package httpx installs this chain in every server it builds, with the
// server configuration's limits and the logger and telemetry providers of
// its options.
//
// # Options
//
// Options carry what a config file cannot: the logger, the telemetry
// providers, the request-ID header and the access log's policy. Each
// constructor family has its own option type, so an option it would
// ignore does not compile: [RequestIDOption] for [RequestID] and
// [PropagateRequestID], [TraceOption] for [Trace] and [TraceTransport],
// [AccessLogOption] for [AccessLog], [LogOption] (the logger) for
// [Recover] and AccessLog, and [DefaultOption] for [Default], which
// accepts all of them, hands each layer its own, and alone takes
// [WithGuard].
//
// # Access log
//
// [AccessLog]'s route is the pattern the mux matched (Request.Pattern,
// empty when none did; [Trace] says when it is seen). answered_by is
// [AnsweredByHandler], or the code of the problem answer a harden guard
// gave (body_too_large, body_too_slow, handler_timeout, header_too_large,
// panic, ...): the guards record it in the request's context as they
// answer, so no response body is parsed. The three IDs are the request's
// and its server span's, as [Logger] gives them to the handler. bytes_out
// counts the body bytes written through the ResponseWriter, bytes_in the
// body bytes the handler read.
//
// query is the raw query with the value of every sensitive parameter
// replaced by "REDACTED", and is omitted when empty. Values are written through zap's
// encoder, which escapes control characters, so a crafted path or user
// agent cannot forge a line.
//
// A handler that panics through AccessLog (with [http.ErrAbortHandler],
// as [Recover] does once the response was committed, or without Recover
// inside) is logged with the status sent and aborted=true, and the panic
// goes on. A hijacked connection is logged with status 101 unless the
// handler wrote one.
//
// # Handler timeout
//
// [Timeout] does not buffer the response, unlike [http.TimeoutHandler],
// which holds every byte until the handler returns (golang/go#47899), so
// streaming, [http.Flusher] and [http.ResponseController] cannot work
// through it (golang/go#34439, golang/go#74021). The handler runs on the
// serving goroutine, so a panic stays where recovery outside can see it
// and no goroutine is left per request. The 503 is written from the
// callback of a timer ([time.AfterFunc]), and only when the context ends by a
// deadline (Timeout's or an earlier one): a client that leaves or a
// server that shuts down cancels the context, and nothing is written.
// Writes of the handler and of the timeout are ordered by a lock, so they
// may race safely; headers the handler sets live in a map of its own,
// copied to the connection's at its first write (and again at its return,
// for trailers), so the timeout can answer while the handler holds it.
//
// When it answers, the timeout also sets the connection's read deadline
// to now, releasing a handler blocked on a body the client never
// finishes. On HTTP/1.x the answer carries Connection: close and a
// Content-Length, so the client has a complete response while the
// handler still runs, and the connection closes once it returns. On
// HTTP/2, where Connection: close would make net/http send GOAWAY and move
// the client's other streams, the connection is kept and the stream ends
// when the handler returns or the server's write deadline resets it.
//
// A handler that has written (a status, a flush or body bytes; 1xx aside)
// has committed to its answer, and keeps streaming until it returns or
// the server's write deadline cuts the connection. Package httpx sets that
// deadline to the handler timeout plus a grace (rule
// write-after-handler), so a timed-out handler's 503 reaches the wire
// instead of an EOF. A hijacked connection is left alone.
//
// # Request copies
//
// A layer that hands the next handler a copy of the request
// (r.WithContext) hands back, once it returns, what the handler left on
// the copy: the multipart form it parsed, whose temporary files net/http
// removes only from the request it passed in (golang/go#58809), and the
// Pattern a ServeMux sets on the request it receives, which names the
// route in spans and log lines. Every layer here does, otelhttp's copy
// included; application middleware between [Default] and the mux must do
// the same (r.Pattern = cp.Pattern, and r.MultipartForm = cp.MultipartForm
// when r has none). RequestID, Trace, AccessLog and Recover pass a request
// on to one another with the context and body it should carry, and only
// the innermost of them makes the copy: one copy for the four, held in the
// request's shared state, instead of one per layer.
//
// # Telemetry
//
// [Trace] continues the caller's W3C trace context and baggage and names
// the server span after the route the mux matched. [Logger] gives a
// handler the request's logger, with request_id, trace_id and span_id,
// and goroutines that take the request's context keep them. Until a
// propagator is installed, W3C Trace Context and Baggage are read and
// written, rather than the global default, which propagates nothing.
//
// When neither provider records, as the global ones do not until the
// application installs an SDK, Trace does not pay for spans and metrics:
// it only reads the caller's trace context, so log lines still carry the
// caller's trace ID. It asks at each request, so an SDK installed later
// takes effect at once. A meter provider is asked through the API: a
// synchronous instrument's Enabled reports false while no SDK (or no
// reader) is behind it. Go's trace API has no such question (the
// specification's Tracer Enabled operation,
// open-telemetry/opentelemetry-specification#4063, has no counterpart in
// go.opentelemetry.io/otel/trace v1.46), so a tracer provider counts as
// idle when it is trace/noop's, or when it is still the global provider
// the process started with and that one, probed once at start through
// the trace API, answered a request for a span with no span of its own,
// as the otel package's delegate does before otel.SetTracerProvider.
//
// When only the meter provider records nothing (an SDK tracer with no
// metrics SDK, the common production setup), Trace makes the server span
// itself rather than through otelhttp, which builds a metric attribute
// set, wraps the ResponseWriter and copies the request on every request
// whatever the meter: the same span (otelhttp's instrumentation scope,
// name, kind, status and attributes), with its attributes computed only
// when the sampler keeps it.
//
// On the client side, [PropagateRequestID] sends the request ID on to
// the next service and [TraceTransport] (otelhttp) one client span per
// attempt with the trace context injected; while neither provider
// records, it only injects the caller's trace context, on a copy of the
// request made only when there is something to inject.
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
