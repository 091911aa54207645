// Package limits bounds what one client can make a server hold: how big a
// request body may be, how slowly it may arrive, how slowly a response may
// be read, and how many connections may be open at once.
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
// instead of hidden in the kernel's accept queue.
//
// Slow readers. The reverse attack (slowhttptest -X) asks for a large
// response and reads it a few bytes at a time: each connection holds its
// handler, its buffers and its file descriptor until the absolute write
// deadline, and once closed the kernel keeps retrying its unsent
// megabytes in FIN-WAIT-1. The connections of a [Listener] check every
// response write ([ConnConfig]): a write that makes no progress for the
// stall timeout, or whose waiting time averages below a minimum rate,
// ends the connection (nginx's send_timeout, done per write with a write
// deadline); writes are handed to the kernel in pieces of 64KiB so a large
// response to a steady reader is never cut, and time the handler spends
// between writes does not count, so slow event streams are safe. A
// connection whose write timed out, by this check or by the server's write
// deadline, is closed with a reset (SO_LINGER 0), which frees its unsent
// data at once.
//
// Refusals lost on the wire. When a server refuses a body (413) and closes
// the connection while the client is still sending it, closing on unread
// data makes the kernel answer with a reset, and Go's client reports
// "connection reset by peer" instead of the 413 it was sent: its writer
// fails before its reader takes the answer. net/http half-closes and
// waits 500ms itself only when it knows the limit was hit, which it does
// not once a middleware wraps the ResponseWriter. A connection on which
// harden refused a request with a body (any problem answer, 413, 408,
// 431, 503) lingers as nginx's lingering_close does: it half-closes, then
// reads and discards what the client still sends until the client closes,
// for at most a time and a byte count, and only then closes. The refusal
// is recognised through [ConnContext], which package httpx installs.
//
// # How it fits
//
// Body and Progress are plain middleware, func(http.Handler)
// http.Handler, usable alone with any router; Listener is a
// [net.Listener] for [http.Server.Serve]. The package imports only the
// standard library and harden's internal helpers. The Listener's
// connections also guard writes and closes, and defer to the server's own
// write deadline, which bounds every write.
//
// httpx composes them into the server chain in the order of the design's
// request path,
//
//	Timeout -> Body -> Progress -> handler
//
// so a request is refused on its declared size before anything is read,
// every body read is guarded against slowness, and the handler's deadline
// (the request context) bounds the whole. When a guard refuses a request
// it answers itself with an RFC 9457 application/problem+json document
// that carries the request ID, with a stable code member
// ("body_too_large", "body_too_slow") that clients and logs can rely on.
//
// Both guards hand the handler a ResponseWriter that implements
// [http.Flusher], [http.Hijacker] and Unwrap, so [http.ResponseController]
// keeps reaching the connection (Flush, deadlines, full duplex, Hijack).
// Neither starts a goroutine.
package limits
