// Package limits bounds what one client can make a server hold: how big a
// request body may be, how slowly it may arrive, and how many connections
// may be open at once.
//
// # What it defends against
//
// Oversized bodies. A handler that reads a body with [io.ReadAll] or a JSON
// decoder holds all of it in memory; a client that sends gigabytes takes
// the process down. [Body] refuses a declared Content-Length above the
// limit with 413 at the handler's first read, before a single body byte is
// read, and cuts a chunked body off at the limit with
// [http.MaxBytesReader]. Nested Body middlewares let a route loosen or
// tighten a server-wide limit: the innermost decides.
//
// Slow bodies. http.Server's ReadHeaderTimeout stops slowloris on the
// request line and headers, but nothing in net/http bounds how slowly a
// body may arrive once the headers are in: the slow POST attack
// (R-U-Dead-Yet) declares a large Content-Length and then sends a byte
// every few seconds, holding a connection, a goroutine and the handler's
// buffers for as long as it likes. ReadTimeout is no cure, because it is
// one deadline for the whole request and has to be as long as the
// slowest legitimate upload. [Progress] instead requires that bytes keep
// arriving (a stall timeout) and that the body keep a minimum average
// rate (a rate over tumbling windows), answering 408 when it does not and,
// on HTTP/1.x, closing the connection.
//
// Connection hoarding. Each open connection costs a file descriptor and
// memory; past the process's open-file limit, Accept fails for everyone.
// [NewListener] caps the connections a server holds open and closes the
// ones beyond the cap at once, so overload is visible to the load balancer
// instead of hidden in the kernel's accept queue. A server with several
// listeners gives them one [ConnBudget], so the cap is the server's, not
// each listener's.
//
// # How it fits
//
// Body and Progress are plain middleware, func(http.Handler)
// http.Handler, usable alone with any router; Listener is a
// [net.Listener] for [http.Server.Serve]. The package imports only the
// standard library and harden's internal helpers.
//
// [github.com/harden-go/harden/middleware.Default] (and so every httpx
// server) places them inside the handler timeout, whose doc comment gives
// the whole order: a request is refused on its declared size before
// anything is read, every body read is guarded against slowness, and the
// handler's deadline (the request context) bounds the whole. When a guard
// refuses a request it answers itself with an RFC 9457
// application/problem+json document that carries the request ID, with a
// stable code member ("body_too_large", "body_too_slow") that clients and
// logs can rely on.
//
// Both guards hand the handler a ResponseWriter that implements
// [http.Flusher], [http.Hijacker] and Unwrap, so [http.ResponseController]
// keeps reaching the connection (Flush, deadlines, full duplex, Hijack).
// Neither starts a goroutine.
//
// # Body limits
//
// [Body] checks a declared Content-Length at the handler's first read of
// the body, not on arrival, so that the innermost limit, applied after
// routing, decides; nothing has been read by then, so an Expect:
// 100-continue client is refused before it sends anything, and no client
// can make the server receive a body it is going to refuse. A body of
// undeclared length (chunked, or HTTP/2 without content-length) is read
// through [http.MaxBytesReader].
//
// When the limit is hit before the handler committed to a response, the
// handler's response becomes the 413: whatever it writes next is replaced
// by the answer (its later writes return the [*http.MaxBytesError]), and
// if it writes nothing the answer is written when it returns. A handler
// that already sent its status keeps it. On HTTP/1.x the answer asks for
// the connection to be closed, since the unread body would otherwise be
// parsed as the next request (RFC 9110 section 15.5.14 allows the close).
//
// A route wrapped in its own Body replaces the limit of a Body around the
// whole mux, to loosen it as well as to tighten it. A server-wide default
// with one larger route reads:
//
//	mux.Handle("POST /upload", limits.Body(64<<20)(upload))
//	mux.Handle("/", api)
//	handler := limits.Body(1<<20)(mux)
//
// A limit set after the handler has begun reading the body is too late to
// change and is ignored. The handler receives a shallow copy of the
// request whose Body is limited; a multipart form parsed from it is handed
// back to the original request, so net/http still removes its temporary
// files. Once the handler hijacks the connection, Body leaves it alone.
//
// # How Progress measures
//
// Each read of the body sets the connection's read deadline (through
// [http.ResponseController]) to the earliest of: the stall timeout since
// the last byte, the end of the current window while it has not yet
// brought its due, the request context's deadline, and the server's
// ReadTimeout, which Progress never extends. Only the time the server
// waits on the client counts: a handler that pauses between reads (to
// write to a database, say) does not charge its own time to the client.
// Windows tumble: each must bring MinRate*Window bytes, except that with
// a known Content-Length the due is capped at the bytes still expected,
// so a small body sent slowly but completely passes.
//
// Once a body is too slow, the read deadline is set to the past so
// nothing more is read; on HTTP/1.x net/http then cancels the request's
// context. When the handler returns without reading the body to its end,
// the deadline is also set to the past, so net/http's discard of the rest
// (up to 256 KiB, to keep the connection) cannot be held open by a client
// dripping it; the connection closes instead, unless the rest had
// already arrived. For the same reason, on HTTP/1.x the handler's first
// write while the body is unfinished sets the deadline a read would get.
// With a ResponseWriter that cannot set read deadlines
// ([http.ErrNotSupported], such as
// [net/http/httptest.ResponseRecorder]), the checks run after each read
// returns, so a read that never returns cannot be cut.
package limits
