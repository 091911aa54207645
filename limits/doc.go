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
