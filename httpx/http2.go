package httpx

import (
	"net/http"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/defaults"
)

// HTTP2Config is the server's HTTP/2 settings, under "server.http2". HTTP/2
// is spoken over TLS when the server has a TLS config (ALPN "h2" first,
// then "http/1.1"), and over cleartext only when Cleartext says so. Zero
// fields take the defaults below, which follow Envoy's guidance for edge
// proxies ("Configuring Envoy as an edge proxy") where Go's are looser.
type HTTP2Config struct {
	// MaxConcurrentStreams is SETTINGS_MAX_CONCURRENT_STREAMS: how many
	// requests one connection may have in flight. It bounds the handler
	// goroutines a single client can start, the lever behind Rapid Reset
	// (CVE-2023-44487). Zero: 100, Envoy's edge value and the floor RFC
	// 9113 section 6.5.2 recommends; Go's own default is 250.
	MaxConcurrentStreams int `yaml:"max_concurrent_streams" json:"max_concurrent_streams"`

	// MaxReadFrameSize is SETTINGS_MAX_FRAME_SIZE, the largest frame the
	// server reads. Zero: 16KiB, the protocol's initial value (RFC 9113
	// section 6.5.2); it must lie within 16KiB..16MiB-1.
	MaxReadFrameSize harden.Bytes `yaml:"max_read_frame_size" json:"max_read_frame_size"`

	// StreamWindow is the flow-control window of one request body: how
	// much a client may send before the handler reads. Zero: 64KiB,
	// Envoy's edge initial_stream_window_size, so a client cannot park
	// megabytes per stream in server memory. Below 4MiB.
	StreamWindow harden.Bytes `yaml:"stream_window" json:"stream_window"`

	// ConnectionWindow is the flow-control window of a whole connection.
	// Zero: 1MiB, Envoy's edge initial_connection_window_size. Within
	// 64KiB..4MiB-1.
	ConnectionWindow harden.Bytes `yaml:"connection_window" json:"connection_window"`

	// PingAfter sends a PING when nothing has been received on a
	// connection for this long, and PingTimeout closes the connection when
	// the answer does not come in time, so dead peers (a vanished NAT
	// entry, a killed client) stop holding a connection. Zero: 30s and
	// 15s (Go's PingTimeout default). Negative PingAfter: no health
	// checks.
	PingAfter   harden.Duration `yaml:"ping_after" json:"ping_after"`
	PingTimeout harden.Duration `yaml:"ping_timeout" json:"ping_timeout"`

	// Cleartext also serves HTTP/2 without TLS (h2c, prior knowledge),
	// for servers behind a proxy that speaks h2c to its backends. Off by
	// default: cleartext HTTP/2 on a public port carries the protocol's
	// attack surface without TLS's cost to the attacker.
	Cleartext bool `yaml:"cleartext" json:"cleartext"`
}

// HTTP/2 defaults and protocol bounds.
const (
	defaultMaxConcurrentStreams = 100
	minFrameSize                = 16 * harden.KiB   // RFC 9113 section 6.5.2
	maxFrameSize                = 16*harden.MiB - 1 // RFC 9113 section 6.5.2: 2^24-1
	maxWindow                   = 4*harden.MiB - 1  // net/http's bound on receive buffers
	minConnectionWindow         = 64 * harden.KiB   // net/http's floor; the RFC's initial window is 65535
	defaultStreamWindow         = 64 * harden.KiB   // Envoy edge
	defaultConnectionWindow     = 1 * harden.MiB    // Envoy edge
	defaultPingAfter            = 30 * harden.Second
	defaultPingTimeout          = 15 * harden.Second // net/http's default
)

func (h HTTP2Config) withDefaults() HTTP2Config {
	defaults.Set(&h.MaxConcurrentStreams, defaultMaxConcurrentStreams)
	defaults.Set(&h.MaxReadFrameSize, minFrameSize)
	defaults.Set(&h.StreamWindow, defaultStreamWindow)
	defaults.Set(&h.ConnectionWindow, defaultConnectionWindow)
	defaults.Set(&h.PingAfter, defaultPingAfter)
	defaults.Set(&h.PingTimeout, defaultPingTimeout)
	return h
}

func (h HTTP2Config) validate(p *problems) {
	if h.MaxConcurrentStreams < 1 {
		p.Add("http2.max_concurrent_streams", harden.RuleRange,
			"is %d; SETTINGS_MAX_CONCURRENT_STREAMS below 1 refuses every request (RFC 9113 section 5.1.2 recommends at least 100)", h.MaxConcurrentStreams)
	}
	if h.MaxReadFrameSize < minFrameSize || h.MaxReadFrameSize > maxFrameSize {
		p.Add("http2.max_read_frame_size", harden.RuleRange,
			"is %v; SETTINGS_MAX_FRAME_SIZE must lie between 16KiB (2^14) and 16MiB-1 (2^24-1), RFC 9113 section 6.5.2", h.MaxReadFrameSize)
	}
	if h.StreamWindow < 1 || h.StreamWindow > maxWindow {
		p.Add("http2.stream_window", harden.RuleRange,
			"is %v; a stream's flow-control window must be positive and below 4MiB, or net/http ignores it", h.StreamWindow)
	}
	if h.ConnectionWindow < minConnectionWindow || h.ConnectionWindow > maxWindow {
		p.Add("http2.connection_window", harden.RuleRange,
			"is %v; a connection's flow-control window must lie within 64KiB..4MiB, or net/http ignores it", h.ConnectionWindow)
	}
	if h.PingAfter > 0 && h.PingTimeout < 0 {
		p.Add("http2.ping_timeout", harden.RuleRange, "is negative (%v); a health-check PING needs a time to wait for its answer", h.PingTimeout)
	}
}

// apply sets hs's HTTP/2 settings and protocols from h. A peer that
// stops reading is dropped by the write guard of the server's listener
// (limits.write_stall_timeout), under TLS, as on HTTP/1.x; net/http's
// WriteByteTimeout, which would move the deadline twice around every
// flush of frames, is left off.
func (h HTTP2Config) apply(hs *http.Server) {
	hs.HTTP2 = &http.HTTP2Config{
		MaxConcurrentStreams:          h.MaxConcurrentStreams,
		MaxReadFrameSize:              int(h.MaxReadFrameSize),
		MaxReceiveBufferPerStream:     int(h.StreamWindow),
		MaxReceiveBufferPerConnection: int(h.ConnectionWindow),
		SendPingTimeout:               (max(h.PingAfter, 0)).Std(),
		PingTimeout:                   h.PingTimeout.Std(),
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(h.Cleartext)
	hs.Protocols = &p
}
