package httpx

import (
	"errors"
	"strings"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/tlsx"
)

// Rule names of a client's problems, reported in [harden.ConfigError.Rule].
// Stable across versions.
const (
	RuleIdleBelowServer     = "idle-below-server"
	RuleHeaderWithinTotal   = "header-within-total"
	RuleAttemptAboveHandler = "attempt-above-handler"
	RulePoolShape           = "pool-shape"
	RuleTLSVerify           = tlsx.RuleTLSVerify
)

// Validate reports every problem of c at once, as *harden.ConfigError values
// joined with errors.Join, after zero fields take their defaults: its
// own fields, its retry policy (which must fit inside timeouts.total)
// and its TLS (whose files are read). A nil result means [NewClient] will
// accept c. Fields are named as in a config file under the key "client".
func (c ClientConfig) Validate() error {
	c = c.withDefaults()
	p := &problems{Prefix: "client."}
	t, pool := c.Timeouts, c.Pool
	if t.ResponseHeader > 0 && t.Total > 0 && t.ResponseHeader > t.Total {
		p.Add("timeouts.response_header", RuleHeaderWithinTotal,
			"%v exceeds timeouts.total (%v), so a silent server is cut by the overall timeout and no retry can follow; lower it below %v",
			t.ResponseHeader, t.Total, t.Total)
	}
	if pool.MaxIdle > 0 && pool.MaxIdlePerHost > pool.MaxIdle {
		p.Add("pool.max_idle_per_host", RulePoolShape,
			"%d exceeds pool.max_idle (%d), which then bounds it; raise max_idle to at least %d", pool.MaxIdlePerHost, pool.MaxIdle, pool.MaxIdlePerHost)
	}
	if pool.MaxPerHost > 0 && pool.MaxIdlePerHost > pool.MaxPerHost {
		p.Add("pool.max_per_host", RulePoolShape,
			"%d is below pool.max_idle_per_host (%d), so idle connections can never reach their bound; raise it to at least %d or set 0 for no cap",
			pool.MaxPerHost, pool.MaxIdlePerHost, pool.MaxIdlePerHost)
	}
	if pool.MaxIdlePerHost == 2 {
		p.Add("pool.max_idle_per_host", RulePoolShape,
			"is net/http's default of 2, which makes concurrent callers of one host reopen connections on nearly every request (golang/go#13801); set it to the host's concurrency, or leave it 0 for 64")
	}
	if h := c.HTTP2; h.PingAfter > 0 && h.PingTimeout < 0 {
		p.Add("http2.ping_timeout", harden.RuleRange, "is negative (%v); a health PING needs a bound such as 5s", h.PingTimeout)
	}
	errs := p.Errs()
	if t.Total > 0 {
		errs = append(errs, flatten(c.Retry.ValidateWithin(harden.Duration(t.Total)))...)
	} else {
		errs = append(errs, flatten(c.Retry.Validate())...)
	}
	errs = append(errs, underClient(c.TLS.Validate())...)
	return errors.Join(errs...)
}

// ValidateAgainst is Validate plus the rules between c and the server
// (or the load balancer in front of it, server.timeouts.upstream_idle)
// that c calls: idle connections are closed by the client first (rule
// idle-below-server), and an attempt outlasts the server's handler
// timeout, so the server's own answer arrives (rule
// attempt-above-handler).
func (c ClientConfig) ValidateAgainst(server ServerConfig) error {
	c, server = c.withDefaults(), server.withDefaults()
	p := &problems{Prefix: "client."}
	t, st := c.Timeouts, server.Timeouts
	serverIdle, by := st.Idle, "server.timeouts.idle"
	if st.UpstreamIdle > 0 && (serverIdle <= 0 || st.UpstreamIdle < serverIdle) {
		serverIdle, by = st.UpstreamIdle, "server.timeouts.upstream_idle"
	}
	if serverIdle > 0 && (t.Idle <= 0 || t.Idle >= serverIdle) {
		p.Add("timeouts.idle", RuleIdleBelowServer,
			"%v is not below %s (%v): the server may close a connection just as the client sends on it, and the request fails; set it below %v",
			t.Idle, by, serverIdle, serverIdle)
	}
	for _, f := range []struct {
		field string
		d     harden.Duration
	}{
		{"timeouts.response_header", t.ResponseHeader},
		{"retry.per_attempt_timeout", c.Retry.PerAttemptTimeout},
		{"timeouts.total", t.Total},
	} {
		if st.Handler > 0 && f.d > 0 && f.d <= st.Handler {
			p.Add(f.field, RuleAttemptAboveHandler,
				"%v does not exceed server.timeouts.handler (%v): the client gives up before the server's own 503 arrives; raise it above %v",
				f.d, st.Handler, st.Handler)
		}
	}
	return errors.Join(append(flatten(c.Validate()), p.Errs()...)...)
}

// underClient renames the fields of tlsx's problems, which are named from
// a file's top level ("tls.ca_file"), to the client's section
// ("client.tls.ca_file").
func underClient(err error) []error {
	var out []error
	for _, e := range flatten(err) {
		if ce, ok := e.(*harden.ConfigError); ok && !strings.HasPrefix(ce.Field, "client.") {
			c := *ce
			c.Field = "client." + c.Field
			e = &c
		}
		out = append(out, e)
	}
	return out
}

// flatten returns the leaves of a tree of joined errors; none for nil.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
