package httpx

import (
	"net/http"
	"time"
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
	MaxReadFrameSize Bytes `yaml:"max_read_frame_size" json:"max_read_frame_size"`

	// StreamWindow is the flow-control window of one request body: how
	// much a client may send before the handler reads. Zero: 64KiB,
	// Envoy's edge initial_stream_window_size, so a client cannot park
	// megabytes per stream in server memory. Below 4MiB.
	StreamWindow Bytes `yaml:"stream_window" json:"stream_window"`

	// ConnectionWindow is the flow-control window of a whole connection.
	// Zero: 1MiB, Envoy's edge initial_connection_window_size. Within
	// 64KiB..4MiB-1.
	ConnectionWindow Bytes `yaml:"connection_window" json:"connection_window"`

	// PingAfter sends a PING when nothing has been received on a
	// connection for this long, and PingTimeout closes the connection when
	// the answer does not come in time, so dead peers (a vanished NAT
	// entry, a killed client) stop holding a connection. Zero: 30s and
	// 15s (Go's PingTimeout default). Negative PingAfter: no health
	// checks.
	PingAfter   time.Duration `yaml:"ping_after" json:"ping_after"`
	PingTimeout time.Duration `yaml:"ping_timeout" json:"ping_timeout"`

	// Cleartext also serves HTTP/2 without TLS (h2c, prior knowledge),
	// for servers behind a proxy that speaks h2c to its backends. Off by
	// default: cleartext HTTP/2 on a public port carries the protocol's
	// attack surface without TLS's cost to the attacker.
	Cleartext bool `yaml:"cleartext" json:"cleartext"`
}

// HTTP/2 defaults and protocol bounds.
const (
	defaultMaxConcurrentStreams = 100
	minFrameSize                = 16 * KiB   // RFC 9113 section 6.5.2
	maxFrameSize                = 16*MiB - 1 // RFC 9113 section 6.5.2: 2^24-1
	maxWindow                   = 4*MiB - 1  // net/http's bound on receive buffers
	minConnectionWindow         = 64 * KiB   // net/http's floor; the RFC's initial window is 65535
	defaultStreamWindow         = 64 * KiB   // Envoy edge
	defaultConnectionWindow     = 1 * MiB    // Envoy edge
	defaultPingAfter            = 30 * time.Second
	defaultPingTimeout          = 15 * time.Second // net/http's default
)

func (h HTTP2Config) withDefaults() HTTP2Config {
	setDefault(&h.MaxConcurrentStreams, defaultMaxConcurrentStreams)
	setDefault(&h.MaxReadFrameSize, minFrameSize)
	setDefault(&h.StreamWindow, defaultStreamWindow)
	setDefault(&h.ConnectionWindow, defaultConnectionWindow)
	setDefault(&h.PingAfter, defaultPingAfter)
	setDefault(&h.PingTimeout, defaultPingTimeout)
	return h
}

func (h HTTP2Config) validate(p *problems) {
	if h.MaxConcurrentStreams < 1 {
		p.Add("http2.max_concurrent_streams", RuleRange,
			"is %d; SETTINGS_MAX_CONCURRENT_STREAMS below 1 refuses every request (RFC 9113 section 5.1.2 recommends at least 100)", h.MaxConcurrentStreams)
	}
	if h.MaxReadFrameSize < minFrameSize || h.MaxReadFrameSize > maxFrameSize {
		p.Add("http2.max_read_frame_size", RuleRange,
			"is %v; SETTINGS_MAX_FRAME_SIZE must lie between 16KiB (2^14) and 16MiB-1 (2^24-1), RFC 9113 section 6.5.2", h.MaxReadFrameSize)
	}
	if h.StreamWindow < 1 || h.StreamWindow > maxWindow {
		p.Add("http2.stream_window", RuleRange,
			"is %v; a stream's flow-control window must be positive and below 4MiB, or net/http ignores it", h.StreamWindow)
	}
	if h.ConnectionWindow < minConnectionWindow || h.ConnectionWindow > maxWindow {
		p.Add("http2.connection_window", RuleRange,
			"is %v; a connection's flow-control window must lie within 64KiB..4MiB, or net/http ignores it", h.ConnectionWindow)
	}
	if h.PingAfter > 0 && h.PingTimeout < 0 {
		p.Add("http2.ping_timeout", RuleRange, "is negative (%v); a health-check PING needs a time to wait for its answer", h.PingTimeout)
	}
}

// apply sets hs's HTTP/2 settings and protocols from h. A peer that
// stops reading is dropped after writeStall, limits.write_stall_timeout,
// the same setting as HTTP/1.x's.
func (h HTTP2Config) apply(hs *http.Server, writeStall time.Duration) {
	hs.HTTP2 = &http.HTTP2Config{
		MaxConcurrentStreams:          h.MaxConcurrentStreams,
		MaxReadFrameSize:              int(h.MaxReadFrameSize),
		MaxReceiveBufferPerStream:     int(h.StreamWindow),
		MaxReceiveBufferPerConnection: int(h.ConnectionWindow),
		SendPingTimeout:               max(h.PingAfter, 0),
		PingTimeout:                   h.PingTimeout,
		WriteByteTimeout:              max(writeStall, 0),
	}
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(h.Cleartext)
	hs.Protocols = &p
}
