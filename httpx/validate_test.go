package httpx

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/limits"
)

func TestDefaultServerConfigIsValid(t *testing.T) {
	if err := DefaultServerConfig().Validate(); err != nil {
		t.Fatalf("DefaultServerConfig().Validate() = %v", err)
	}
	if err := (ServerConfig{}).Validate(); err != nil {
		t.Fatalf("zero ServerConfig.Validate() = %v", err)
	}
}

func TestDefaultServerConfigDerivesDependentValues(t *testing.T) {
	c := DefaultServerConfig()
	if got, want := c.Timeouts.Write, c.Timeouts.Handler+writeGrace; got != want {
		t.Errorf("Timeouts.Write = %v, want Handler+grace = %v", got, want)
	}
	if got, want := c.Limits.MinBodyRate, Rate(35*KiB); got != want {
		t.Errorf("Limits.MinBodyRate = %v, want %v (1MiB within 30s)", got, want)
	}
	if c.Admin.Addr != "127.0.0.1:9090" {
		t.Errorf("Admin.Addr = %q, want a loopback default", c.Admin.Addr)
	}
	if got, want := c.Limits.MaxConnectionsPerIP, c.Limits.MaxConnections/4; c.Limits.MaxConnections > 0 && got != want {
		t.Errorf("Limits.MaxConnectionsPerIP = %d, want a quarter of MaxConnections, %d", got, want)
	}
	if nofile := openFileLimit(); nofile > 0 && uint64(c.Limits.MaxConnections) >= nofile {
		t.Errorf("Limits.MaxConnections = %d, not below the open-file limit %d", c.Limits.MaxConnections, nofile)
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		nofile uint64
		mutate func(*ServerConfig)
		field  string
		rule   string
	}{
		{"header timeout disabled", 0, func(c *ServerConfig) { c.Timeouts.ReadHeader = -1 }, "server.timeouts.read_header", RuleHeaderTimeout},
		{"write below handler", 0, func(c *ServerConfig) { c.Timeouts.Handler = 30 * time.Second; c.Timeouts.Write = 10 * time.Second }, "server.timeouts.write", RuleWriteAfterHandler},
		{"write without grace", 0, func(c *ServerConfig) { c.Timeouts.Handler = 30 * time.Second; c.Timeouts.Write = 30 * time.Second }, "server.timeouts.write", RuleWriteAfterHandler},
		{"idle below upstream", 0, func(c *ServerConfig) { c.Timeouts.Idle = 60 * time.Second; c.Timeouts.UpstreamIdle = 60 * time.Second }, "server.timeouts.idle", RuleIdleAboveUpstream},
		{"default idle below NLB", 0, func(c *ServerConfig) { c.Timeouts.UpstreamIdle = 350 * time.Second }, "server.timeouts.idle", RuleIdleAboveUpstream},
		{"drain past grace", 0, func(c *ServerConfig) {
			c.Shutdown.DrainDelay = 20 * time.Second
			c.Shutdown.TerminationGrace = 30 * time.Second
		}, "server.shutdown.termination_grace", RuleShutdownInGrace},
		{"negative shutdown timeout", 0, func(c *ServerConfig) { c.Shutdown.Timeout = -1 }, "server.shutdown.timeout", RuleRange},
		{"negative shutdown timeout without drain delay", 0, func(c *ServerConfig) {
			c.Shutdown.DrainDelay = -1
			c.Shutdown.Timeout = -time.Second
		}, "server.shutdown.timeout", RuleRange},
		{"body rate too low", 0, func(c *ServerConfig) { c.Limits.MinBodyRate = Rate(KiB) }, "server.limits.min_body_rate", RuleBodyRate},
		{"connections above fd limit", 1024, func(c *ServerConfig) { c.Limits.MaxConnections = 5000 }, "server.limits.max_connections", RuleFDBudget},
		{"admin on all interfaces", 0, func(c *ServerConfig) { c.Admin.Addr = ":9090" }, "server.admin.addr", RuleAdminLoopback},
		{"admin on public address", 0, func(c *ServerConfig) { c.Admin.Addr = "0.0.0.0:9090" }, "server.admin.addr", RuleAdminLoopback},
		{"admin address malformed", 0, func(c *ServerConfig) { c.Admin.Addr = "9090" }, "server.admin.addr", RuleRange},
		{"negative upstream idle", 0, func(c *ServerConfig) { c.Timeouts.UpstreamIdle = -1 }, "server.timeouts.upstream_idle", RuleRange},
		{"h2 frame below 16KiB", 0, func(c *ServerConfig) { c.HTTP2.MaxReadFrameSize = 8 * KiB }, "server.http2.max_read_frame_size", RuleRange},
		{"h2 frame of 16MiB", 0, func(c *ServerConfig) { c.HTTP2.MaxReadFrameSize = 16 * MiB }, "server.http2.max_read_frame_size", RuleRange},
		{"h2 no streams", 0, func(c *ServerConfig) { c.HTTP2.MaxConcurrentStreams = -1 }, "server.http2.max_concurrent_streams", RuleRange},
		{"h2 stream window 4MiB", 0, func(c *ServerConfig) { c.HTTP2.StreamWindow = 4 * MiB }, "server.http2.stream_window", RuleRange},
		{"backlog eats the write grace", 0, func(c *ServerConfig) { c.Limits.Concurrency.BacklogTimeout = 4 * time.Second }, "server.limits.concurrency.backlog_timeout", RuleBacklogInWrite},
		{"concurrency min above max", 0, func(c *ServerConfig) { c.Limits.Concurrency.Max = 10; c.Limits.Concurrency.Min = 50 }, "server.limits.concurrency.min", RuleRange},
		{"concurrency mode unknown", 0, func(c *ServerConfig) { c.Limits.Concurrency.Mode = "fast" }, "server.limits.concurrency.mode", RuleRange},
		{"exempt pattern invalid", 0, func(c *ServerConfig) { c.Limits.Concurrency.Exempt = []string{"GET"} }, "server.limits.concurrency.exempt", RuleRange},
		{"memory ratio above 1", 0, func(c *ServerConfig) { c.Limits.MemoryLimitRatio = 1.5 }, "server.limits.memory_limit_ratio", RuleRange},
		{"negative write rate window", 0, func(c *ServerConfig) { c.Limits.WriteRateWindow = -1 }, "server.limits.write_rate_window", RuleRange},
		{"linger without byte bound", 0, func(c *ServerConfig) { c.Limits.LingerMaxBytes = -1 }, "server.limits.linger_max_bytes", RuleRange},
		{"h2 connection window below 64KiB", 0, func(c *ServerConfig) { c.HTTP2.ConnectionWindow = 32 * KiB }, "server.http2.connection_window", RuleRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c ServerConfig
			tc.mutate(&c)
			err := c.validate(tc.nofile)
			ce := findRule(err, tc.rule)
			if ce == nil {
				t.Fatalf("validate() = %v, want a %s error", err, tc.rule)
			}
			if ce.Field != tc.field {
				t.Errorf("Field = %q, want %q", ce.Field, tc.field)
			}
			if ce.Reason == "" || !strings.Contains(err.Error(), tc.field+": "+tc.rule+": ") {
				t.Errorf("error text %q does not name field, rule and reason", err)
			}
		})
	}
}

func TestValidateAllowsExplicitOptOuts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*ServerConfig)
	}{
		{"exposed admin", func(c *ServerConfig) { c.Admin.Addr = "0.0.0.0:9090"; c.Admin.Expose = true }},
		{"admin on ::1", func(c *ServerConfig) { c.Admin.Addr = "[::1]:9090" }},
		{"admin on localhost", func(c *ServerConfig) { c.Admin.Addr = "localhost:9090" }},
		{"no handler timeout", func(c *ServerConfig) { c.Timeouts.Handler = -1 }},
		{"idle above upstream", func(c *ServerConfig) { c.Timeouts.UpstreamIdle = 60 * time.Second }},
		{"defaults within kubernetes grace", func(c *ServerConfig) { c.Shutdown.TerminationGrace = 30 * time.Second }},
		{"rate disabled", func(c *ServerConfig) { c.Limits.MinBodyRate = -1 }},
		{"body unlimited", func(c *ServerConfig) { c.Limits.MaxBodyBytes = -1 }},
		{"no write guard", func(c *ServerConfig) { c.Limits.WriteStallTimeout = -1; c.Limits.MinWriteRate = -1 }},
		{"no lingering", func(c *ServerConfig) { c.Limits.LingerTimeout = -1 }},
		{"no shedding", func(c *ServerConfig) { c.Limits.Concurrency.Max = -1 }},
		{"runtime memory left alone", func(c *ServerConfig) { c.Limits.MemoryLimitRatio = -1 }},
		{"static shedding", func(c *ServerConfig) { c.Limits.Concurrency = limits.ConcurrencyConfig{Mode: "static", Max: 64} }},
		{"short write grace derives the backlog", func(c *ServerConfig) { c.Timeouts.Handler = time.Second; c.Timeouts.Write = 2 * time.Second }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c ServerConfig
			tc.mutate(&c)
			if err := c.validate(1 << 20); err != nil {
				t.Fatalf("validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	c := ServerConfig{
		Timeouts: ServerTimeouts{ReadHeader: -1, Handler: time.Minute, Write: time.Minute},
		Admin:    AdminConfig{Addr: "0.0.0.0:9090"},
	}
	err := c.Validate()
	for _, rule := range []string{RuleHeaderTimeout, RuleWriteAfterHandler, RuleAdminLoopback} {
		if findRule(err, rule) == nil {
			t.Errorf("Validate() = %v; missing %s", err, rule)
		}
	}
}

func TestConfigDecodesHumanUnits(t *testing.T) {
	const doc = `
server:
  addr: 127.0.0.1:8443
  timeouts:
    read_header: 2s
    handler: 10s
    upstream_idle: 60s
  limits:
    max_header_bytes: 32KiB
    max_body_bytes: 8MiB
    min_body_rate: 1MiB/s
    max_connections: -1
  shutdown:
    drain_delay: 5s
    termination_grace: 30s
  http2:
    max_concurrent_streams: 50
    max_read_frame_size: 32KiB
    cleartext: true
`
	var file struct {
		Server ServerConfig `yaml:"server"`
	}
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatal(err)
	}
	c := file.Server
	if c.Timeouts.ReadHeader != 2*time.Second || c.Timeouts.Handler != 10*time.Second {
		t.Errorf("timeouts = %+v", c.Timeouts)
	}
	if c.Limits.MaxHeaderBytes != 32*KiB || c.Limits.MaxBodyBytes != 8*MiB || c.Limits.MinBodyRate != Rate(MiB) || c.Limits.MaxConnections != -1 {
		t.Errorf("limits = %+v", c.Limits)
	}
	if c.HTTP2.MaxConcurrentStreams != 50 || c.HTTP2.MaxReadFrameSize != 32*KiB || !c.HTTP2.Cleartext {
		t.Errorf("http2 = %+v", c.HTTP2)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func TestConfigRejectsBadUnits(t *testing.T) {
	var file struct {
		Server ServerConfig `yaml:"server"`
	}
	err := yaml.Unmarshal([]byte("server:\n  limits:\n    max_body_bytes: 1 megabyte\n"), &file)
	if err == nil || !strings.Contains(err.Error(), "1 megabyte") {
		t.Fatalf("Unmarshal = %v, want an error quoting the input", err)
	}
}

func findRule(err error, rule string) *ConfigError {
	var found *ConfigError
	walk(err, func(e error) {
		var ce *ConfigError
		if found == nil && errors.As(e, &ce) && ce.Rule == rule {
			found = ce
		}
	})
	return found
}

// walk calls f on err and every error it joins or wraps.
func walk(err error, f func(error)) {
	if err == nil {
		return
	}
	f(err)
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, f)
		}
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), f)
	}
}
