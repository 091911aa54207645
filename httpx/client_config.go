package httpx

import (
	"reflect"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/defaults"
	"github.com/harden-go/harden/retry"
	"github.com/harden-go/harden/tlsx"
)

// ClientConfig is everything about an outbound HTTP client that can be
// written in a config file, under the key "client". The zero value of
// every field means harden's default, documented on the field; a negative
// value disables that limit where the field says so. Build a transport
// from it with [NewTransport] or a whole client with [NewClient];
// [ClientConfig.Validate] reports every inconsistency at once, and
// [ClientConfig.ValidateAgainst] checks it against the server it calls.
type ClientConfig struct {
	Timeouts ClientTimeouts `yaml:"timeouts" json:"timeouts"`
	Pool     ClientPool     `yaml:"pool" json:"pool"`
	HTTP2    ClientHTTP2    `yaml:"http2" json:"http2"`

	// MaxResponseHeaderBytes bounds the status line and header block of a
	// response (http.Transport.MaxResponseHeaderBytes). Zero: 1MiB, the
	// bound net/http's server puts on request headers
	// (http.DefaultMaxHeaderBytes), ten times below the transport's own
	// 10MB default, which a hostile or broken server can make every
	// caller buffer. Negative: net/http's 10MB default.
	MaxResponseHeaderBytes harden.Bytes `yaml:"max_response_header_bytes" json:"max_response_header_bytes"`

	// MaxRedirects is how many redirects one request follows. A redirect
	// from https to http is always refused, and Authorization, Cookie and
	// Proxy-Authorization are dropped whenever a redirect leaves the
	// origin (scheme, host and port). Zero: 5, the limit RFC 9110 section
	// 15.4 notes earlier HTTP specifications recommended (net/http
	// follows 10). Negative: no redirect is followed; the 3xx response
	// is returned to the caller.
	MaxRedirects int `yaml:"max_redirects" json:"max_redirects"`

	// Retry is the retry policy of [NewClient], under "client.retry"; see
	// [retry.Policy] for its fields and defaults.
	Retry retry.Policy `yaml:"retry" json:"retry"`

	// TLS is the client's TLS, under "client.tls": the CAs it trusts, its
	// certificate for mTLS, reloaded as the files rotate; see
	// [tlsx.ClientConfig]. Zero: the system roots, TLS 1.2 or later, no
	// client certificate.
	TLS tlsx.ClientConfig `yaml:"tls" json:"tls"`
}

// ClientTimeouts are the client's time limits, coordinated by Validate.
type ClientTimeouts struct {
	// Dial bounds establishing a TCP connection; connections are kept
	// alive with TCP keep-alive probes every 30s, net/http's
	// DefaultTransport value. Zero: 5s, enough for a SYN to be
	// retransmitted twice (Linux's initial RTO is 1s), where the
	// operating system alone waits about two minutes. Negative: only the
	// operating system's limit.
	Dial harden.Duration `yaml:"dial" json:"dial"`

	// TLSHandshake bounds the TLS handshake. Zero: 5s, half of net/http's
	// DefaultTransport, which is generous for a handshake on any network
	// where Dial succeeded. Negative: no limit.
	TLSHandshake harden.Duration `yaml:"tls_handshake" json:"tls_handshake"`

	// ResponseHeader bounds the wait for a response's headers after the
	// request is written (http.Transport.ResponseHeaderTimeout, which
	// net/http leaves unset, so a server that never answers holds the
	// caller until Total). It must exceed the handler timeout of the
	// server called, so the server's own 503 arrives instead of a client
	// timeout (rule attempt-above-handler, checked by ValidateAgainst),
	// and not exceed Total (rule header-within-total). Zero: 35s, the
	// write deadline of [DefaultServerConfig] (its 30s handler timeout
	// plus the grace for the answer), or Total when that is shorter.
	// Negative: no limit but Total.
	ResponseHeader harden.Duration `yaml:"response_header" json:"response_header"`

	// ExpectContinue is how long a request with "Expect: 100-continue"
	// waits for the server's go-ahead before sending its body anyway.
	// Zero: 1s, net/http's DefaultTransport value. Negative: the body is
	// sent at once, without waiting.
	ExpectContinue harden.Duration `yaml:"expect_continue" json:"expect_continue"`

	// Idle is how long an unused connection stays in the pool. It must be
	// below the idle timeout of the server or load balancer called, so
	// the client, not the server, closes idle connections and never sends
	// a request on a socket the server is closing (rule
	// idle-below-server). Zero: 50s, below the 60s default idle timeout of
	// AWS ALB and Google Cloud's and Azure's load balancers, and below
	// [DefaultServerConfig]'s 120s. Negative: idle connections are kept
	// until the server closes them.
	Idle harden.Duration `yaml:"idle" json:"idle"`

	// Total bounds a whole call, from the first dial through every retry
	// and redirect to the end of reading the body, as http.Client.Timeout
	// does; [NewClient] enforces it in its Transport, whose error then
	// wraps [ErrTotalTimeout]. The retry policy's waits must fit inside
	// it (rule retries-within-deadline). Zero: 60s, so that a retry
	// still fits after a first attempt cut at ResponseHeader. Negative:
	// no overall limit; the request's context is the only one.
	Total harden.Duration `yaml:"total" json:"total"`
}

// ClientPool shapes the connection pool (rule pool-shape).
type ClientPool struct {
	// MaxIdle bounds idle connections across all hosts. Zero: 512, room
	// for MaxIdlePerHost connections to each of eight hosts. Negative: no
	// bound.
	MaxIdle int `yaml:"max_idle" json:"max_idle"`

	// MaxIdlePerHost bounds the idle connections kept for one host. It
	// should be at least the number of concurrent callers of that host:
	// net/http's default of 2 makes 64 concurrent callers close and
	// reopen connections on nearly every request (golang/go#13801),
	// which costs a handshake each time and fills the TIME_WAIT table.
	// Zero: 64. Negative: no connection is kept idle (every request
	// opens a new one).
	MaxIdlePerHost int `yaml:"max_idle_per_host" json:"max_idle_per_host"`

	// MaxPerHost caps the connections to one host, busy or idle; requests
	// beyond it wait for a connection. When set it must be at least
	// MaxIdlePerHost. Zero or negative: no cap, the default: the server's
	// own connection limits and the retry budget bound the load.
	MaxPerHost int `yaml:"max_per_host" json:"max_per_host"`

	// MaxConnectionLifetime retires a pooled connection once it is this
	// old: it takes no request after that and is closed as soon as none
	// uses it, so the next request dials and resolves the host's name
	// again, reaching replicas a headless Service or DNS added since (see
	// "Connection lifetime" in the package doc for HTTP/2's limits).
	// Enforced by [NewClient]. Zero: 5m. Negative: connections are kept
	// until idle or closed by the server.
	MaxConnectionLifetime harden.Duration `yaml:"max_connection_lifetime" json:"max_connection_lifetime"`
}

// ClientHTTP2 configures HTTP/2, which the client attempts over TLS.
type ClientHTTP2 struct {
	// PingAfter is how long a connection may receive nothing before the
	// client sends it a PING; a connection that does not answer within
	// PingTimeout is closed. Without it a connection silently dropped by
	// a NAT, a firewall or a dead peer keeps taking requests until the
	// kernel gives up on TCP retransmissions, about 15 minutes on Linux
	// (golang/go#59690, golang/go#36026). Zero: 10s, as the Azure SDK
	// for Go's default transport sets pending golang/go#59690. Negative:
	// no health pings.
	PingAfter harden.Duration `yaml:"ping_after" json:"ping_after"`

	// PingTimeout is how long a health PING may go unanswered before the
	// connection is closed. Zero: 5s, as the Azure SDK for Go sets.
	// Negative: refused while PingAfter is set (rule range).
	PingTimeout harden.Duration `yaml:"ping_timeout" json:"ping_timeout"`
}

// Defaults of a client that are not a function of other fields.
const (
	defaultClientDial           = 5 * harden.Second
	defaultClientKeepAlive      = 30 * harden.Second
	defaultClientTLSHandshake   = 5 * harden.Second
	defaultClientExpectContinue = harden.Second
	defaultClientIdle           = 50 * harden.Second
	defaultClientTotal          = 60 * harden.Second
	defaultClientMaxIdle        = 512
	defaultClientMaxIdlePerHost = 64
	defaultClientPingAfter      = 10 * harden.Second
	defaultClientPingTimeout    = 5 * harden.Second
	defaultClientMaxHeaderBytes = 1 * harden.MiB
	defaultClientMaxRedirects   = 5
)

// defaultClientResponseHeader is the write deadline of the default server:
// the latest moment its answer to a timed-out handler can arrive.
var defaultClientResponseHeader = ServerConfig{}.withDefaults().Timeouts.Write

// DefaultClientConfig returns a client config with every default filled
// in, including those of its retry policy and TLS, so it can be printed,
// edited and validated. It is a new value on each call.
func DefaultClientConfig() ClientConfig {
	c := ClientConfig{}.withDefaults()
	c.Retry = retry.DefaultPolicy()
	c.TLS = tlsx.DefaultClientConfig()
	return c
}

// withDefaults returns c with every zero field of its own replaced by its
// default; Retry and TLS take theirs in their own packages.
func (c ClientConfig) withDefaults() ClientConfig {
	t := &c.Timeouts
	defaults.Set(&t.Dial, defaultClientDial)
	defaults.Set(&t.TLSHandshake, defaultClientTLSHandshake)
	defaults.Set(&t.ExpectContinue, defaultClientExpectContinue)
	defaults.Set(&t.Idle, defaultClientIdle)
	defaults.Set(&t.Total, defaultClientTotal)
	if t.ResponseHeader == 0 {
		t.ResponseHeader = defaultClientResponseHeader
		if t.Total > 0 {
			t.ResponseHeader = min(t.ResponseHeader, t.Total)
		}
	}
	p := &c.Pool
	defaults.Set(&p.MaxIdle, defaultClientMaxIdle)
	defaults.Set(&p.MaxIdlePerHost, defaultClientMaxIdlePerHost)
	defaults.Set(&p.MaxConnectionLifetime, defaultClientMaxConnLifetime)
	defaults.Set(&c.HTTP2.PingAfter, defaultClientPingAfter)
	defaults.Set(&c.HTTP2.PingTimeout, defaultClientPingTimeout)
	defaults.Set(&c.MaxResponseHeaderBytes, defaultClientMaxHeaderBytes)
	defaults.Set(&c.MaxRedirects, defaultClientMaxRedirects)
	return c
}

// customTLS reports whether c.TLS says anything beyond tlsx's defaults:
// a CA, a certificate, a server name or identity, a version or an
// opt-out.
func (c ClientConfig) customTLS() bool {
	t, d := c.TLS, tlsx.DefaultClientConfig()
	defaults.Set(&t.MinVersion, d.MinVersion)
	defaults.Set(&t.ReloadInterval, d.ReloadInterval)
	return !reflect.DeepEqual(t, d)
}

// noLimit maps harden's "negative disables" to net/http's zero.
func noLimit[T harden.Duration | int | harden.Bytes](v T) T {
	return max(v, 0)
}
