// Package httpx builds hardened HTTP servers and clients from one
// validated config each.
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
// [NewServer] wraps the handler in
// [github.com/harden-go/harden/middleware.Default], whose doc comment
// gives the order of its layers, configured from the server's limits and
// timeouts, with the header size check (431) as its guard, and, outside
// it, a drain marker. Every answer harden gives itself is
// application/problem+json (RFC 9457). The listener is capped at
// limits.max_connections; its connections drop clients that stop reading
// a response (limits.write_stall_timeout and limits.min_write_rate, over
// HTTP/1.1 and HTTP/2) with a reset, and after refusing a request body
// they keep reading it for limits.linger_timeout so the client reads the
// refusal rather than a reset.
//
// # Lifecycle
//
// [Server.Run] sets the Go runtime's memory limit to a share of the
// container's (limits.memory_limit_ratio) and logs it with GOMAXPROCS
// once, then listens and serves until its context ends, then
// [Server.Shutdown] drains: readiness turns 503, new connections are still
// served for shutdown.drain_delay, HTTP/1.x answers carry Connection:
// close and keep-alive connections left idle for half the delay are
// closed while the server still accepts (a request sent on a connection
// just as the listener closes is lost, and net/http never retries a POST
// it has written), in-flight requests get shutdown.timeout, and the rest
// are force-closed. [NewAdminServer] serves /livez, /readyz
// (tied to the drain) and /debug/pprof on a separate loopback listener;
// the public server answers 404 there, whatever handler it serves, unless
// server.expose_pprof says otherwise.
//
// [Server.HTTPServer] returns the underlying *http.Server for everything
// harden does not wrap.
//
// # Connection age
//
// Keep-alive pins traffic: after a scale-out, the connections that clients,
// L4 load balancers and kube-proxy opened before it stay on the old
// replicas, which overload while the new ones idle. gRPC bounds a
// connection's life with MaxConnectionAge and Envoy with
// max_connection_duration; net/http has no such knob. A server retires
// each connection after server.limits.max_connection_age, drawn ±10% per
// connection so replicas started together do not reconnect in step (the
// jitter gRPC's gRFC A9 specifies). gRPC leaves the age infinite by
// default; harden's 5m is the Kubernetes HorizontalPodAutoscaler's default
// scale-down stabilization window, so a scale-out is spread over the new
// replicas within the time the autoscaler itself waits, at the cost of
// one reconnection (and TLS handshake) per connection every 5 minutes.
//
// A request that starts on an aged connection is answered with
// Connection: close. On HTTP/1.1 the connection closes after that
// response; on HTTP/2 net/http's server turns the header into a graceful
// GOAWAY (h2_bundle.go, "respect Connection: close"), the client opens a
// new connection for its next request and the streams in flight finish.
// An aged HTTP/1.1 connection that is idle is closed at once (Go's client
// resends a request that finds its reused connection closed before
// writing anything, as it must for server.timeouts.idle). An aged HTTP/2
// connection that is idle is left to the GOAWAY of its next request or to
// the idle timeout's: closing it without a GOAWAY could fail a request
// the client is sending on it. Requests still running
// max_connection_age_grace after the age are cut with their connection.
// An age far below a second is a reconnection storm: on HTTP/2 it sends a
// GOAWAY on connections that have just opened, where, between Go 1.26's
// own HTTP/2 client and server, a request racing the GOAWAY has been seen
// to go unanswered until its timeout.
//
// # Connection lifetime
//
// The client-side twin: a Go client with a warm pool keeps talking to the
// addresses it dialled, so a headless Service's or a DNS name's new
// addresses never see its traffic (golang/go#23427; proposals for a
// Transport lifetime: golang/go#43905, golang/go#54429). .NET's
// SocketsHttpHandler.PooledConnectionLifetime is the same remedy.
// [NewClient] retires a pooled connection after
// client.pool.max_connection_lifetime: it learns each request's connection
// from net/http/httptrace (so it works over any base RoundTripper that
// reports GotConn), counts the requests using it until their bodies are
// closed or read to the end, and closes an old connection as soon as none
// does; the next request dials and resolves the name again.
//
// http.Transport offers no way to stop a pooled HTTP/2 connection from
// taking new streams (the bundled http2 ClientConn's SetDoNotReuse is not
// exported), so an HTTP/2 connection that always has a stream in flight
// keeps taking them past its lifetime; the server's
// max_connection_age, whose GOAWAY the client obeys, covers that case.
// An HTTP/1.1 request that takes an old connection in the instant it is
// closed is resent by net/http, since nothing was written; on HTTP/2 that
// instant can fail the request.
//
// # Clients
//
// http.DefaultTransport waits for response headers as long as the overall
// timeout allows (and http.DefaultClient has none), keeps 2 idle
// connections per host so that concurrent callers reopen connections on
// nearly every request (golang/go#13801), keeps HTTP/2 connections that a
// NAT or a dead peer silenced until the kernel gives up on them
// (golang/go#59690, golang/go#36026), keeps idle connections 90s, longer
// than the 60s after which common load balancers close them, and follows
// 10 redirects, keeping credentials for another port of the same host.
//
// [ClientConfig] fixes each of these; [NewTransport] returns the tuned
// *http.Transport and [NewClient] the *http.Client that wraps it in the
// client request path of the design: request-ID propagation, retries
// under the config's retry.Policy (with the Authenticator of
// [WithAuthenticator]), one client span per attempt, then the transport.
// [ClientConfig.Validate] checks the client alone and
// [ClientConfig.ValidateAgainst] checks it against the server it calls:
//
//	header-within-total      timeouts.response_header fits timeouts.total
//	retries-within-deadline  the retry policy's waits fit timeouts.total
//	pool-shape               max_idle_per_host within max_idle and max_per_host, never 2
//	tls-verify               insecure_skip_verify only with a reason
//	idle-below-server        timeouts.idle below the server's (or its load balancer's)
//	attempt-above-handler    an attempt outlasts the server's handler timeout
package httpx
