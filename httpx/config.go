package httpx

import (
	"math"
	"net"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/defaults"
	"github.com/harden-go/harden/limits"
	"github.com/harden-go/harden/middleware"
)

// ServerConfig is everything about a public HTTP server that can be written
// in a config file, under the key "server". The zero value of every field
// means harden's hardened default, documented on the field; a negative
// duration or size disables that limit where the field says so. Build a
// server from it with [NewServer]; [ServerConfig.Validate] reports every
// inconsistency at once.
type ServerConfig struct {
	// Addr is the TCP address Run listens on. Zero: ":8080".
	Addr string `yaml:"addr" json:"addr"`

	// ExposePprof lets the handler answer /debug/pprof/ on the public
	// port. Off (the zero value), the server answers 404 to every path
	// that cleans, unescapes or case-folds to /debug/pprof or below it,
	// whatever handler it serves: importing net/http/pprof registers the
	// profiles on http.DefaultServeMux, and a wrapped DefaultServeMux
	// slips past the no-default-mux check. Profiles belong on the admin
	// server.
	ExposePprof bool `yaml:"expose_pprof" json:"expose_pprof"`

	Timeouts ServerTimeouts `yaml:"timeouts" json:"timeouts"`
	Limits   ServerLimits   `yaml:"limits" json:"limits"`
	Shutdown ShutdownConfig `yaml:"shutdown" json:"shutdown"`
	HTTP2    HTTP2Config    `yaml:"http2" json:"http2"`
	Admin    AdminConfig    `yaml:"admin" json:"admin"`
}

// ServerTimeouts are the server's time limits, coordinated by Validate.
type ServerTimeouts struct {
	// ReadHeader bounds the time from accepting a connection (or the end
	// of the previous request) to the end of the request headers. It is
	// the defence against slowloris-style clients that send one header
	// line at a time; net/http leaves it unset, which gosec reports as
	// G112 (potential slowloris). Zero: 5s, the read timeout of
	// Cloudflare's guidance for Go servers on the internet ("So you want
	// to expose Go on the Internet"). Disabling it is refused (rule
	// header-timeout).
	ReadHeader harden.Duration `yaml:"read_header" json:"read_header"`

	// Handler is how long a handler may run before its context is
	// cancelled and, if it has written nothing, the client is answered
	// 503 problem+json instead of waiting. Zero: 30s, the default backend
	// timeout of Google Cloud's HTTP(S) load balancers; raise it together
	// with the proxy's when handlers legitimately run longer. Negative: no
	// handler timeout (long-polling or streaming servers).
	Handler harden.Duration `yaml:"handler" json:"handler"`

	// Write is the write deadline of a response, counted from the end of
	// the request headers (http.Server.WriteTimeout). It must exceed
	// Handler by a grace so that a timed-out handler's 503 still reaches
	// the wire instead of an EOF (rule write-after-handler). A handler
	// that is already streaming when Handler expires is cut at this
	// deadline. Zero: Handler + 5s (or disabled when Handler is).
	// Negative: no write deadline.
	Write harden.Duration `yaml:"write" json:"write"`

	// Idle is how long a keep-alive connection may wait for its next
	// request. It must exceed UpstreamIdle so the proxy in front closes
	// idle connections first and never sends a request on a socket the
	// server has just closed (rule idle-above-upstream; AWS documents the
	// same requirement for ALB targets). Zero: 120s, twice ALB's default
	// idle timeout of 60s. Negative: never close idle connections.
	Idle harden.Duration `yaml:"idle" json:"idle"`

	// UpstreamIdle is the idle timeout of the load balancer or proxy in
	// front of this server (60s on AWS ALB, 350s on AWS NLB). Zero:
	// unknown, and the rule idle-above-upstream is not checked.
	UpstreamIdle harden.Duration `yaml:"upstream_idle" json:"upstream_idle"`
}

// ServerLimits bound what one client can make the server hold.
type ServerLimits struct {
	// MaxHeaderBytes bounds the request line plus header block, counted
	// as sent: over HTTP/1.x on plain TCP every byte, whitespace around
	// values included; over HTTP/1.x on TLS the lines as parsed, without
	// that whitespace (net/http's own byte count still stops blocks of
	// twice the limit); over HTTP/2 each field's name and value plus 32
	// bytes (RFC 9113 section 6.5.2). Larger requests are answered 431
	// problem+json (RFC 6585 section 5) and the connection is closed. Zero: 64KiB, far above any browser's cookies
	// yet 16 times below net/http's 1MiB default; nginx's default
	// large_client_header_buffers is 4 x 8KiB. Negative: net/http's 1MiB
	// default with its plain-text 431.
	MaxHeaderBytes harden.Bytes `yaml:"max_header_bytes" json:"max_header_bytes"`

	// MaxBodyBytes bounds request bodies. A larger Content-Length is
	// answered 413 before any body byte is read; a chunked body that
	// crosses the limit fails the handler's read with
	// *http.MaxBytesError and is answered 413. Zero: 1MiB, nginx's
	// client_max_body_size default. Negative: unlimited. Routes that need
	// more (or less) wrap their handler in limits.Body, which replaces
	// this limit for their requests.
	MaxBodyBytes harden.Bytes `yaml:"max_body_bytes" json:"max_body_bytes"`

	// BodyStallTimeout aborts a body read when no byte arrives for this
	// long (the R-U-Dead-Yet slow POST). Zero: 10s, inside nginx's 60s
	// client_body_timeout and Apache mod_reqtimeout's 20s. Negative:
	// disabled.
	BodyStallTimeout harden.Duration `yaml:"body_stall_timeout" json:"body_stall_timeout"`

	// MinBodyRate is the rate a body must average over each
	// BodyRateWindow while it is being read. Zero: MaxBodyBytes divided by
	// the Handler timeout (rounded up to a whole KiB/s, at least 1KiB/s),
	// so that any body the server accepts can arrive before the handler
	// deadline (rule body-rate); with the defaults that is 35KiB/s.
	// Negative: disabled.
	MinBodyRate harden.Rate `yaml:"min_body_rate" json:"min_body_rate"`

	// BodyRateWindow is the window over which MinBodyRate is measured, so
	// one slow burst is forgiven. Zero: 10s, as mod_reqtimeout measures.
	BodyRateWindow harden.Duration `yaml:"body_rate_window" json:"body_rate_window"`

	// MaxConnections caps the server's open connections, across all its
	// listeners; beyond it new connections are closed at once so the load balancer can try another backend.
	// Each connection costs one file descriptor, so the cap must stay
	// below the open-file limit (rule fd-budget) or accept(2) starts
	// failing with EMFILE for everything, logs and outbound calls
	// included. Zero: the soft RLIMIT_NOFILE less a quarter of it (at
	// least 256) kept for files, outbound connections and the admin
	// listener. Negative: no cap.
	MaxConnections int `yaml:"max_connections" json:"max_connections"`

	// MaxConnectionsPerIP caps the open connections of one client
	// address (IPv6: one /64), so a single client cannot take the whole
	// of MaxConnections, whether it hoards idle sockets or floods HTTP/2
	// SETTINGS or PING frames on many connections. Zero: a quarter of
	// MaxConnections. Behind a load balancer every connection comes from
	// its few addresses: raise it above MaxConnections divided by their
	// number, or disable it. Negative: no per-address cap.
	MaxConnectionsPerIP int `yaml:"max_connections_per_ip" json:"max_connections_per_ip"`

	// MaxConnectionAge retires a keep-alive connection once it is this
	// old (±10% jitter): its next response carries Connection: close
	// (HTTP/2: a graceful GOAWAY) and it is closed as soon as it is idle,
	// so clients reconnect and a load balancer or Service spreads them
	// over replicas added since (see "Connection age" in the package
	// doc). Zero: 5m. Negative: connections live until idle or closed by
	// the client.
	MaxConnectionAge harden.Duration `yaml:"max_connection_age" json:"max_connection_age"`

	// MaxConnectionAgeGrace is how long a connection past its age may
	// keep serving the requests in flight before it is closed under them.
	// Zero: timeouts.write, the longest a response may take anyway (no
	// bound when that is disabled). Negative: no bound.
	MaxConnectionAgeGrace harden.Duration `yaml:"max_connection_age_grace" json:"max_connection_age_grace"`

	// WriteStallTimeout ends a connection whose response write makes no
	// progress for this long: the client stopped reading (nginx's
	// send_timeout). It guards HTTP/2 the same way, on the connection
	// under TLS, so the two protocols share one setting. A connection
	// ended this way, or by the write deadline, is reset rather than
	// closed, so the kernel frees the unsent response at once instead of
	// holding it in FIN-WAIT-1.
	// Zero: 10s, the same patience as body_stall_timeout for the other
	// direction. Negative: no stall check.
	WriteStallTimeout harden.Duration `yaml:"write_stall_timeout" json:"write_stall_timeout"`

	// MinWriteRate is the rate a response must average while its writes
	// wait on the client, over each WriteRateWindow of waiting, so a
	// client that reads a few bytes at a time (slowhttptest -X) is
	// dropped long before the write deadline. Time the handler spends
	// between writes does not count, so slow event streams are safe.
	// Zero: 1KiB/s, the floor of min_body_rate. Negative: disabled.
	MinWriteRate harden.Rate `yaml:"min_write_rate" json:"min_write_rate"`

	// WriteRateWindow is the waiting time over which MinWriteRate is
	// measured. Zero: 10s, as body_rate_window.
	WriteRateWindow harden.Duration `yaml:"write_rate_window" json:"write_rate_window"`

	// LingerTimeout is how long the server keeps reading and discarding
	// a request body it refused (413, 408, 431, 503) before closing the
	// connection, after a half-close: closing on unread data resets the
	// connection, and the reset discards the refusal from the client's
	// receive buffer, so the client would see "connection reset by peer"
	// instead of the answer. Zero: 5s, nginx's lingering_timeout.
	// Negative: close at once.
	LingerTimeout harden.Duration `yaml:"linger_timeout" json:"linger_timeout"`

	// LingerMaxBytes bounds what one lingering close reads, so a client
	// that sends forever costs bounded bandwidth as well as time. A
	// client reads the refusal concurrently with its writes, but Go's
	// transport gives up on the first write error even when the answer
	// has arrived, so the bound must cover what a fast client sends before
	// its reader runs. Zero: 16MiB, twice the 8MiB body of the test that
	// motivates it and a tenth of a second at 1Gbit/s. Must not be
	// negative.
	LingerMaxBytes harden.Bytes `yaml:"linger_max_bytes" json:"linger_max_bytes"`

	// MemoryLimitRatio is the share of the container's memory limit
	// (cgroup v2 or v1) that Run gives the Go runtime as its soft memory
	// limit when GOMEMLIMIT is unset, so the garbage collector works
	// harder near the limit instead of the OOM killer ending the
	// process. Zero: 0.9, automemlimit's default, leaving a tenth for
	// memory outside the Go heap. Negative: leave the runtime alone.
	// Above 1 is refused (rule range).
	MemoryLimitRatio float64 `yaml:"memory_limit_ratio" json:"memory_limit_ratio"`

	// Concurrency bounds the requests served at once and sheds the rest
	// with 503 problem+json and Retry-After, adaptively by default (see
	// limits.ConcurrencyConfig for each key and its default). A request
	// that waited in the backlog and then timed out must still get its
	// 503 before timeouts.write, so backlog_timeout may take at most half
	// of the grace between timeouts.handler and timeouts.write (rule
	// backlog-within-write); zero derives it as 1s
	// (LifoBlockingLimiter's maxBacklogTimeout) or that half when smaller.
	Concurrency limits.ConcurrencyConfig `yaml:"concurrency" json:"concurrency"`
}

// listener returns the connection caps and guards for limits.NewListener.
func (l ServerLimits) listener() limits.ListenerConfig {
	return limits.ListenerConfig{
		Max:      l.MaxConnections,
		MaxPerIP: l.MaxConnectionsPerIP,
		Conn: limits.ConnConfig{
			WriteStallTimeout: l.WriteStallTimeout,
			MinWriteRate:      l.MinWriteRate,
			WriteRateWindow:   l.WriteRateWindow,
			LingerTimeout:     l.LingerTimeout,
			LingerMaxBytes:    l.LingerMaxBytes,
		},
	}
}

// ShutdownConfig orders a graceful stop (see [Server.Shutdown]).
type ShutdownConfig struct {
	// DrainDelay is how long the server keeps accepting and serving new
	// requests after readiness turns 503, so load balancers and
	// Kubernetes endpoints stop routing to it before it stops listening.
	// Zero: 10s, covering a readiness probe period of 5s with a failure
	// threshold of 2 plus endpoint propagation. Negative: no delay.
	DrainDelay harden.Duration `yaml:"drain_delay" json:"drain_delay"`

	// Timeout bounds the wait for in-flight requests after the listener
	// closes; connections still busy then are force-closed. Zero: 15s, so
	// DrainDelay + Timeout stays inside Kubernetes' default
	// terminationGracePeriodSeconds of 30s with a margin before SIGKILL.
	// Negative: refused (rule range), whatever DrainDelay says; it would
	// cut every in-flight request.
	Timeout harden.Duration `yaml:"timeout" json:"timeout"`

	// TerminationGrace is the platform's grace period between SIGTERM and
	// SIGKILL (Kubernetes terminationGracePeriodSeconds). When set,
	// DrainDelay + Timeout must fit inside it (rule
	// shutdown-within-grace). Zero: unknown, not checked.
	TerminationGrace harden.Duration `yaml:"termination_grace" json:"termination_grace"`
}

// AdminConfig is the separate listener for health checks and profiling,
// kept off the public port so pprof is never reachable from the internet.
type AdminConfig struct {
	// Addr is the admin listener's address. Zero: "127.0.0.1:9090".
	// Anything but a loopback address is refused unless Expose is set
	// (rule admin-loopback).
	Addr string `yaml:"addr" json:"addr"`

	// Expose allows Addr to be a non-loopback address, for clusters whose
	// probes come from another host. Profiles then leak memory contents
	// and cost CPU to anyone who can reach the port.
	Expose bool `yaml:"expose" json:"expose"`

	// DisablePprof removes the /debug/pprof/ endpoints.
	DisablePprof bool `yaml:"disable_pprof" json:"disable_pprof"`

	// MaxProfile is the longest CPU profile or execution trace the admin
	// server records; the admin write deadline is MaxProfile + 10s, so a
	// profile is never cut off. Zero: 30s, net/http/pprof's default
	// profile length.
	MaxProfile harden.Duration `yaml:"max_profile" json:"max_profile"`
}

// Defaults that are not a function of other fields. Those the server
// shares with its middleware are declared in limits and middleware.
const (
	defaultAddr             = ":8080"
	defaultReadHeader       = 5 * harden.Second
	writeGrace              = 5 * harden.Second
	minWriteGrace           = harden.Second
	defaultIdle             = 120 * harden.Second
	defaultMaxHeaderBytes   = 64 * harden.KiB
	defaultLingerTimeout    = 5 * harden.Second
	defaultLingerMaxBytes   = 16 * harden.MiB
	defaultDrainDelay       = 10 * harden.Second
	defaultShutdownTimeout  = 15 * harden.Second
	defaultAdminAddr        = "127.0.0.1:9090"
	defaultMaxProfile       = 30 * harden.Second
	adminWriteMargin        = 10 * harden.Second
	minReservedDescriptors  = 256
	reservedDescriptorShare = 4 // one quarter of the open-file limit
	perIPShare              = 4 // one client may hold a quarter of the connections
)

// DefaultServerConfig returns harden's defaults, to print, edit and
// validate; it is a new value on each call. Every field is filled in but
// those derived from others, which stay zero and are derived when the
// config is used: timeouts.write, limits.min_body_rate,
// limits.max_connections and max_connections_per_ip,
// limits.max_connection_age_grace, and limits.concurrency's min, initial
// and backlog_timeout. So the defaults with a longer handler timeout or a
// larger body limit stay coherent, as the zero config does.
// [Server.Config] gives the values a server runs with.
func DefaultServerConfig() ServerConfig {
	c := ServerConfig{}.withDefaults()
	t, l := &c.Timeouts, &c.Limits
	t.Write = 0
	l.MinBodyRate, l.MaxConnections, l.MaxConnectionsPerIP, l.MaxConnectionAgeGrace = 0, 0, 0, 0
	l.Concurrency.Min, l.Concurrency.Initial, l.Concurrency.BacklogTimeout = 0, 0, 0
	return c
}

// withDefaults returns c with every zero field replaced by its default.
// Derived defaults (Write, MinBodyRate, MaxConnections) are computed from
// the fields they depend on after those have their defaults.
func (c ServerConfig) withDefaults() ServerConfig {
	defaults.Set(&c.Addr, defaultAddr)
	t := &c.Timeouts
	defaults.Set(&t.ReadHeader, defaultReadHeader)
	defaults.Set(&t.Handler, middleware.DefaultHandlerTimeout)
	if t.Write == 0 {
		t.Write = -1
		if t.Handler > 0 {
			t.Write = t.Handler + writeGrace
		}
	}
	defaults.Set(&t.Idle, defaultIdle)

	l := &c.Limits
	defaults.Set(&l.MaxHeaderBytes, defaultMaxHeaderBytes)
	defaults.Set(&l.MaxBodyBytes, limits.DefaultMaxBodyBytes)
	defaults.Set(&l.BodyStallTimeout, limits.DefaultStallTimeout)
	defaults.Set(&l.BodyRateWindow, limits.DefaultWindow)
	defaults.Set(&l.WriteStallTimeout, limits.DefaultStallTimeout)
	defaults.Set(&l.MinWriteRate, limits.DefaultMinRate)
	defaults.Set(&l.WriteRateWindow, limits.DefaultWindow)
	defaults.Set(&l.LingerTimeout, defaultLingerTimeout)
	defaults.Set(&l.LingerMaxBytes, defaultLingerMaxBytes)
	if c := &l.Concurrency; c.BacklogTimeout == 0 && t.Handler > 0 && t.Write > t.Handler {
		c.BacklogTimeout = min(limits.DefaultBacklogTimeout, (t.Write-t.Handler)/2)
	}
	l.Concurrency = l.Concurrency.WithDefaults()
	defaults.Set(&l.MemoryLimitRatio, limits.DefaultMemoryLimitRatio)
	if l.MinBodyRate == 0 {
		l.MinBodyRate = deriveMinBodyRate(l.MaxBodyBytes, t.Handler)
	}
	if l.MaxConnections == 0 {
		l.MaxConnections = deriveMaxConnections(openFileLimit())
	}
	defaults.Set(&l.MaxConnectionAge, defaultMaxConnectionAge)
	if l.MaxConnectionAgeGrace == 0 {
		l.MaxConnectionAgeGrace = t.Write // negative when disabled: no bound
	}
	if l.MaxConnectionsPerIP == 0 {
		l.MaxConnectionsPerIP = -1
		if l.MaxConnections > 0 {
			l.MaxConnectionsPerIP = max(l.MaxConnections/perIPShare, 1)
		}
	}

	s := &c.Shutdown
	defaults.Set(&s.DrainDelay, defaultDrainDelay)
	defaults.Set(&s.Timeout, defaultShutdownTimeout)

	c.HTTP2 = c.HTTP2.withDefaults()
	c.Admin = c.Admin.withDefaults()
	return c
}

func (a AdminConfig) withDefaults() AdminConfig {
	defaults.Set(&a.Addr, defaultAdminAddr)
	defaults.Set(&a.MaxProfile, defaultMaxProfile)
	return a
}

// deriveMinBodyRate is the slowest rate at which a body of limit bytes still
// arrives within handler, rounded up to a whole KiB/s, at least 1KiB/s.
// Without a size limit or a handler deadline there is nothing to derive
// from and the floor applies.
func deriveMinBodyRate(limit harden.Bytes, handler harden.Duration) harden.Rate {
	if limit <= 0 || handler <= 0 {
		return limits.DefaultMinRate
	}
	kibPerSecond := math.Ceil(float64(limit) / handler.Std().Seconds() / float64(harden.KiB))
	return max(harden.Rate(kibPerSecond)*harden.Rate(harden.KiB), limits.DefaultMinRate)
}

// deriveMaxConnections keeps a quarter of the open-file limit (at least
// 256 descriptors) for everything that is not a client connection. An
// unknown limit (0) gives no cap.
func deriveMaxConnections(nofile uint64) int {
	if nofile == 0 {
		return -1
	}
	reserve := max(nofile/reservedDescriptorShare, minReservedDescriptors)
	if nofile <= reserve {
		return 1
	}
	n := nofile - reserve
	if n > 1<<30 {
		n = 1 << 30
	}
	return int(n)
}

// isLoopbackHost reports whether host names only loopback interfaces:
// "localhost", 127.0.0.0/8 or ::1. The empty host (":9090") listens on
// every interface and is not loopback.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isLoopbackAddr reports whether a listener's address is reachable from
// this host only: TCP on a loopback address, or a Unix socket.
func isLoopbackAddr(a net.Addr) bool {
	switch a.Network() {
	case "unix", "unixpacket":
		return true
	}
	host, _, err := net.SplitHostPort(a.String())
	return err == nil && isLoopbackHost(host)
}
