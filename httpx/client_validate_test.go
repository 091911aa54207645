package httpx

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/harden-go/harden"
)

// problemsOf returns "field rule" for each problem of err.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, e := range flatten(err) {
		var ce *harden.ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a *harden.ConfigError", e)
		}
		out = append(out, ce.Field+" "+ce.Rule)
	}
	return out
}

func TestDefaultClientConfigAgreesWithDefaultServer(t *testing.T) {
	c, s := DefaultClientConfig(), DefaultServerConfig().withDefaults()
	if err := c.ValidateAgainst(DefaultServerConfig()); err != nil {
		t.Fatalf("the defaults disagree: %v", err)
	}
	if c.Timeouts.ResponseHeader <= s.Timeouts.Handler {
		t.Errorf("response_header %v does not exceed the server's handler timeout %v", c.Timeouts.ResponseHeader, s.Timeouts.Handler)
	}
	if c.Timeouts.Idle >= s.Timeouts.Idle {
		t.Errorf("idle %v is not below the server's %v", c.Timeouts.Idle, s.Timeouts.Idle)
	}
}

func TestClientConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ClientConfig)
		want   []string
	}{
		{"zero", func(*ClientConfig) {}, nil},
		{"header above total", func(c *ClientConfig) {
			c.Timeouts.ResponseHeader, c.Timeouts.Total = harden.Minute, 10*harden.Second
		}, []string{"client.timeouts.response_header header-within-total"}},
		{"header derived from a short total", func(c *ClientConfig) { c.Timeouts.Total = 10 * harden.Second }, nil},
		{"idle per host above idle", func(c *ClientConfig) {
			c.Pool.MaxIdle, c.Pool.MaxIdlePerHost = 10, 20
		}, []string{"client.pool.max_idle_per_host pool-shape"}},
		{"cap below idle per host", func(c *ClientConfig) { c.Pool.MaxPerHost = 8 }, []string{"client.pool.max_per_host pool-shape"}},
		{"net/http's 2 per host", func(c *ClientConfig) { c.Pool.MaxIdlePerHost = 2 }, []string{"client.pool.max_idle_per_host pool-shape"}},
		{"negative ping timeout", func(c *ClientConfig) { c.HTTP2.PingTimeout = -1 }, []string{"client.http2.ping_timeout range"}},
		{"retries beyond total", func(c *ClientConfig) {
			c.Timeouts.Total = harden.Second
			c.Retry.MaxAttempts, c.Retry.MaxBackoff = 5, 2*harden.Second
		}, []string{"client.retry.max_backoff retries-within-deadline"}},
		{"unverified TLS", func(c *ClientConfig) { c.TLS.InsecureSkipVerify = true }, []string{"client.tls.insecure_skip_verify tls-verify"}},
		{"everything at once", func(c *ClientConfig) {
			c.Timeouts.ResponseHeader, c.Timeouts.Total = harden.Minute, 10*harden.Second
			c.Pool.MaxPerHost = 8
			c.TLS.InsecureSkipVerify = true
		}, []string{
			"client.timeouts.response_header header-within-total",
			"client.pool.max_per_host pool-shape",
			"client.tls.insecure_skip_verify tls-verify",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c ClientConfig
			tc.change(&c)
			got := problemsOf(t, c.Validate())
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
			}
			if _, err := NewTransport(c); (err != nil) != (tc.want != nil) {
				t.Errorf("NewTransport error %v, want one exactly when Validate has problems", err)
			}
		})
	}
}

func TestClientConfigValidateAgainst(t *testing.T) {
	tests := []struct {
		name   string
		client func(*ClientConfig)
		server func(*ServerConfig)
		want   []string
	}{
		{"defaults", func(*ClientConfig) {}, func(*ServerConfig) {}, nil},
		{"idle at the server's", func(c *ClientConfig) { c.Timeouts.Idle = 120 * harden.Second }, func(*ServerConfig) {},
			[]string{"client.timeouts.idle idle-below-server"}},
		{"idle kept forever", func(c *ClientConfig) { c.Timeouts.Idle = -1 }, func(*ServerConfig) {},
			[]string{"client.timeouts.idle idle-below-server"}},
		{"idle above the load balancer in front", func(*ClientConfig) {}, func(s *ServerConfig) { s.Timeouts.UpstreamIdle = 30 * harden.Second },
			[]string{"client.timeouts.idle idle-below-server"}},
		{"header at the handler timeout", func(c *ClientConfig) { c.Timeouts.ResponseHeader = 30 * harden.Second }, func(*ServerConfig) {},
			[]string{"client.timeouts.response_header attempt-above-handler"}},
		{"per-attempt timeout below the handler", func(c *ClientConfig) { c.Retry.PerAttemptTimeout = 10 * harden.Second }, func(*ServerConfig) {},
			[]string{"client.retry.per_attempt_timeout attempt-above-handler"}},
		{"long handler, long client", func(c *ClientConfig) {
			c.Timeouts.ResponseHeader, c.Timeouts.Total = 2*harden.Minute, 5*harden.Minute
		}, func(s *ServerConfig) { s.Timeouts.Handler = harden.Minute }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c ClientConfig
			var s ServerConfig
			tc.client(&c)
			tc.server(&s)
			if got := problemsOf(t, c.ValidateAgainst(s)); !slices.Equal(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
			}
		})
	}
}

// Zero takes the default and negative disables, field by field, in the
// *http.Transport NewTransport builds.
func TestNewTransportMapsConfig(t *testing.T) {
	def, err := NewTransport(ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var off ClientConfig
	off.Timeouts = ClientTimeouts{Dial: -1, TLSHandshake: -1, ResponseHeader: -1, ExpectContinue: -1, Idle: -1, Total: -1}
	off.Pool = ClientPool{MaxIdle: -1, MaxIdlePerHost: -1, MaxPerHost: -1}
	off.HTTP2.PingAfter = -1
	off.MaxResponseHeaderBytes = -1
	dis, err := NewTransport(off)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		got, def, dis any
	}{
		{"tls_handshake", def.TLSHandshakeTimeout, defaultClientTLSHandshake.Std(), time.Duration(0)},
		{"response_header", def.ResponseHeaderTimeout, defaultClientResponseHeader.Std(), time.Duration(0)},
		{"expect_continue", def.ExpectContinueTimeout, defaultClientExpectContinue.Std(), time.Duration(0)},
		{"idle", def.IdleConnTimeout, defaultClientIdle.Std(), time.Duration(0)},
		{"max_idle", def.MaxIdleConns, defaultClientMaxIdle, 0},
		{"max_idle_per_host", def.MaxIdleConnsPerHost, defaultClientMaxIdlePerHost, -1},
		{"max_per_host", def.MaxConnsPerHost, 0, 0},
		{"max_response_header_bytes", def.MaxResponseHeaderBytes, int64(defaultClientMaxHeaderBytes), int64(0)},
	}
	disabled := map[string]any{
		"tls_handshake": dis.TLSHandshakeTimeout, "response_header": dis.ResponseHeaderTimeout,
		"expect_continue": dis.ExpectContinueTimeout, "idle": dis.IdleConnTimeout, "max_idle": dis.MaxIdleConns,
		"max_idle_per_host": dis.MaxIdleConnsPerHost, "max_per_host": dis.MaxConnsPerHost,
		"max_response_header_bytes": dis.MaxResponseHeaderBytes,
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.def {
				t.Errorf("zero gives %v, want the default %v", tc.got, tc.def)
			}
			if d := disabled[tc.name]; d != tc.dis {
				t.Errorf("negative gives %v, want %v", d, tc.dis)
			}
		})
	}
	if def.HTTP2 == nil || def.HTTP2.SendPingTimeout != defaultClientPingAfter.Std() || def.HTTP2.PingTimeout != defaultClientPingTimeout.Std() || !def.ForceAttemptHTTP2 {
		t.Errorf("HTTP/2 %+v, want health pings after %v", def.HTTP2, defaultClientPingAfter)
	}
	if dis.HTTP2 != nil {
		t.Errorf("ping_after -1 still sends health pings: %+v", dis.HTTP2)
	}
	if _, err := NewClient(off); err != nil {
		t.Fatal(err)
	}
}
