// Package httpx builds hardened HTTP servers from one validated config.
//
// A zero-value http.Server waits forever for headers, bodies and idle
// clients, lets a handler run until the client gives up, answers a
// timed-out handler with EOF, and serves http.DefaultServeMux, where
// importing net/http/pprof publishes profiles. httpx fixes each of these
// with a default whose reason is written on its field, and checks that the
// knobs agree with one another before the server starts.
//
// # Configuration
//
// [ServerConfig] holds everything a config file can say about a server,
// with yaml and json tags and human units ("5s", "64KiB", "35KiB/s"). Zero
// fields take the defaults of [DefaultServerConfig]; derived values (the
// write deadline, the minimum body rate, the connection cap) follow from
// the fields they depend on. [ServerConfig.Validate] returns every problem
// at once as [*ConfigError] values, each naming the key path, a stable rule
// name and the fix:
//
//	header-timeout         timeouts.read_header must be set
//	write-after-handler    timeouts.write exceeds timeouts.handler by a grace
//	idle-above-upstream    timeouts.idle exceeds the proxy's idle timeout
//	shutdown-within-grace  drain_delay + timeout fit the platform's grace
//	body-rate              the largest body arrives at min_body_rate in time
//	fd-budget              max_connections stays below the open-file limit
//	no-default-mux         the handler is not http.DefaultServeMux
//	admin-loopback         the admin listener binds loopback unless exposed
//	backlog-within-write   a request that waited for a slot still gets its 503
//
// # Request path
//
// [NewServer] wraps the handler, outermost first, in a drain marker, the
// header size check (431), the concurrency limit of package limits (503,
// adaptive load shedding), the handler timeout of package middleware
// (503), and the body limit and progress guard of package limits (413,
// 408).
// Every answer harden gives itself is application/problem+json (RFC 9457).
// The listener is capped at limits.max_connections; its connections drop
// clients that stop reading a response (limits.write_stall_timeout and
// limits.min_write_rate, over HTTP/1.1 and HTTP/2) with a reset, and after
// refusing a request body they keep reading it for limits.linger_timeout
// so the client reads the refusal rather than a reset.
//
// # Lifecycle
//
// [Server.Run] sets the Go runtime's memory limit to a share of the
// container's (limits.memory_limit_ratio) and logs it with GOMAXPROCS
// once, then listens and serves until its context ends, then
// [Server.Shutdown] drains: readiness turns 503, new connections are still
// served for shutdown.drain_delay, in-flight requests get shutdown.timeout,
// and the rest are force-closed. [NewAdminServer] serves /livez, /readyz
// (tied to the drain) and /debug/pprof on a separate loopback listener.
//
// [Server.HTTPServer] returns the underlying *http.Server for everything
// harden does not wrap.
package httpx
