// Package limits bounds what one client can make a server hold: how big a
// request body may be, how slowly it may arrive, how slowly a response may
// be read, and how many connections may be open at once; and what all
// clients together can: how many requests run at once.
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
// Slow readers. The reverse attack (slowhttptest -X) asks for a large
// response and reads it a few bytes at a time: each connection holds its
// handler, its buffers and its file descriptor until the absolute write
// deadline, and once closed the kernel keeps retrying its unsent
// megabytes in FIN-WAIT-1. The connections of a [Listener] check every
// response write ([ConnConfig]): a write that makes no progress for the
// stall timeout, or whose waiting time averages below a minimum rate,
// ends the connection (nginx's send_timeout, done with a write deadline
// armed for the writes that would wait on the peer: a piece the kernel
// takes at once, tried first without waiting, costs no deadline). Writes
// are handed to the kernel in pieces of 16KiB, and on
// Linux the socket keeps at most that much unsent (TCP_NOTSENT_LOWAT), so
// a piece is taken only once the peer has made room for it: without
// this, the kernel's send buffer, which autotuning grows to megabytes,
// would take a slow reader's response as fast as it is written and hide
// the stall. Data in flight is not limited, so neither is throughput.
// Time the handler spends between writes does not count, so slow event
// streams are safe. A connection whose write timed out, by this check or
// by the server's write deadline, is closed with a reset (SO_LINGER 0),
// which frees its unsent data at once.
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
// # Load shedding
//
// Too many good clients. net/http serves every request it reads: under
// overload each one waits its turn for CPU, locks or a backend, latency
// grows with the queue, and soon every request times out, so goodput
// falls to nothing although the server is busy. [Concurrency] admits at
// most a limit of requests at once and answers the rest at once with 503
// and Retry-After, so the admitted ones keep the latency of the server's
// capacity and a load balancer or client retries elsewhere.
//
// Requests beyond the limit may wait in a bounded backlog for a bounded
// time, served newest first (LIFO, as Netflix concurrency-limits'
// LifoBlockingLimiter and Facebook's adaptive LIFO queues do): under
// overload the oldest waiters are those whose clients have most likely
// given up, and serving them first would spend capacity on answers
// nobody reads. A full backlog sheds its oldest waiter for the newcomer.
//
// The static mode is a fixed limit, like Traefik's inFlightReq or chi's
// Throttle. The right number depends on the handler, the hardware and the
// backends, and changes with them, so the default is adaptive: the
// limit follows Gradient2 of concurrency-limits (Gradient2Limit.java). In
// each sampling window (at least 100ms, Envoy adaptive concurrency's
// update interval, and 10 requests) the mean latency of the completed
// requests (read as 1ms when below it: sub-millisecond means move by more
// than a quarter with scheduling alone) is compared with a long-term average (an exponential average
// over 600 windows): their ratio, kept within [0.5, 1], scales the limit,
// which may also grow by a queue of 4, the change smoothed by a factor of
// 0.2 (Gradient2's defaults). When latency has risen by a quarter or more,
// requests are queuing and the change applies at once, unsmoothed, as in
// Envoy's gradient controller, so the limit may halve in one window
// instead of losing a tenth: smoothing steadies the limit in normal
// operation but would hold it far above the capacity for seconds of an
// overload. While latency holds, the limit grows; when requests queue
// inside the server, latency rises and the limit falls towards the concurrency
// at which it began to rise. The limit does not grow while fewer than
// half of it are in flight, so a quiet period does not inflate it; unlike
// Gradient2 it may fall then, at once, when latency rose by a quarter,
// from the concurrency that was actually in flight (the part of the limit
// above it was never tried), so that a limit starting at its ceiling
// comes down to the capacity within a window or two of an overload. A long-term average left high by a past
// overload is pulled down when it exceeds twice the current latency. Unlike Gradient2, a window in which
// the server failed (a handler that timed out or answered 5xx, or
// panicked) shrinks the limit by a tenth, as AIMD does: a failing
// backend's fast errors would otherwise read as spare capacity. 4xx
// answers are the client's doing and count as ordinary samples; requests
// whose client went away measure nothing and are not sampled.
//
// Requests that hold their slots without completing (a stuck dependency,
// or handlers held by one client) produce no samples, so a limit that
// fell below them would have no window to raise it: once the limit is
// reached, each whole window (or twice the long-term latency, when
// longer) in which no request completes raises it by the queue of 4.
//
// The limit starts at its ceiling (Initial defaults to Max), so a server
// sheds nothing until its latency rises. The long-term average is
// learned from the first windows: a server started under overload
// learns an inflated baseline, and needs the static mode until it has
// seen normal traffic. Long-lived requests (streams, long polls) hold a
// slot for their whole life: exempt their routes or raise Max. Exempt
// routes (health checks) are neither counted nor shed.
//
// # Memory bounded by the container
//
// The Go runtime knows nothing of a container's memory limit: its heap
// grows until the kernel's OOM killer ends the process, with every
// in-flight request. [ApplyMemoryLimit] sets the runtime's soft memory
// limit (debug.SetMemoryLimit) to a share of the cgroup's memory limit
// when GOMEMLIMIT does not already say, so the garbage collector works
// harder as the heap nears it. The cgroup (v2 or v1, the tightest limit
// up the process's hierarchy) is read by KimMachineGun/automemlimit's
// memlimit package, which is maintained and depends on nothing heavier
// than a system-memory probe. GOMAXPROCS needs no such help since Go
// 1.25, which follows the container's CPU limit itself (golang/go#73193);
// it is reported, never changed.
//
// # How it fits
//
// Body and Progress are plain middleware, func(http.Handler)
// http.Handler, usable alone with any router; Listener is a
// [net.Listener] for [http.Server.Serve]. The package imports only the
// standard library, harden's internal helpers, automemlimit's memlimit
// and the OpenTelemetry metric API, in which [Concurrency] reports its limit, in-flight, queued
// and shed counts ([WithMeterProvider]). The Listener's
// connections also guard writes and closes, and defer to the server's own
// write deadline, which bounds every write.
//
// [github.com/harden-go/harden/middleware.Default] (and so every httpx
// server) places Concurrency before the handler timeout and the body
// guards inside it; its doc comment gives the whole order: a request is
// refused on its declared size before
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
