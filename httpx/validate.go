package httpx

import (
	"net"
	"time"
)

// Validate reports every problem of c at once, as *ConfigError values
// joined with errors.Join, after zero fields take their defaults. A nil
// result means NewServer will accept c. Fields are named as in a config
// file under the key "server".
func (c ServerConfig) Validate() error {
	return c.validate(openFileLimit())
}

func (c ServerConfig) validate(nofile uint64) error {
	c = c.withDefaults()
	p := &problems{Prefix: "server."}
	t, l, s := c.Timeouts, c.Limits, c.Shutdown

	if t.ReadHeader < 0 {
		p.Add("timeouts.read_header", RuleHeaderTimeout,
			"is disabled (%v); a client that sends one header line at a time holds the connection forever (slowloris); set it to 5s", t.ReadHeader)
	}
	if t.Handler > 0 && t.Write > 0 && t.Write < t.Handler+minWriteGrace {
		p.Add("timeouts.write", RuleWriteAfterHandler,
			"%v does not exceed timeouts.handler (%v) by at least %v, so a timed-out handler's 503 is cut off and the client sees EOF; set write to %v or leave it 0 to derive it",
			t.Write, t.Handler, minWriteGrace, t.Handler+writeGrace)
	}
	if t.UpstreamIdle > 0 && t.Idle > 0 && t.Idle <= t.UpstreamIdle {
		p.Add("timeouts.idle", RuleIdleAboveUpstream,
			"%v is not above timeouts.upstream_idle (%v): the proxy in front may send a request on a connection the server is closing and return 502; set idle above %v",
			t.Idle, t.UpstreamIdle, t.UpstreamIdle)
	}
	if t.UpstreamIdle < 0 {
		p.Add("timeouts.upstream_idle", RuleRange, "is negative (%v); write the proxy's idle timeout, or 0 when unknown", t.UpstreamIdle)
	}
	if l.BodyRateWindow < 0 {
		p.Add("limits.body_rate_window", RuleRange, "is negative (%v); set a window such as 10s, or disable the rate with min_body_rate: -1B/s", l.BodyRateWindow)
	}
	if l.WriteRateWindow < 0 {
		p.Add("limits.write_rate_window", RuleRange, "is negative (%v); set a window such as 10s, or disable the rate with min_write_rate: -1B/s", l.WriteRateWindow)
	}
	if l.LingerMaxBytes < 0 {
		p.Add("limits.linger_max_bytes", RuleRange, "is negative (%v); a lingering close needs a bound against a client that sends forever, such as 4MiB; disable lingering with linger_timeout: -1s", l.LingerMaxBytes)
	}
	if l.MaxBodyBytes > 0 && l.MinBodyRate > 0 && t.Handler > 0 {
		need := time.Duration(float64(l.MaxBodyBytes) / float64(l.MinBodyRate) * float64(time.Second))
		if need > t.Handler {
			p.Add("limits.min_body_rate", RuleBodyRate,
				"at %v a body of limits.max_body_bytes (%v) takes %v, longer than timeouts.handler (%v), so slow clients are cut by the handler timeout instead of the rate guard; raise min_body_rate to at least %v or leave it 0 to derive it",
				l.MinBodyRate, l.MaxBodyBytes, need.Round(time.Second), t.Handler, deriveMinBodyRate(l.MaxBodyBytes, t.Handler))
		}
	}
	if l.MemoryLimitRatio > 1 {
		p.Add("limits.memory_limit_ratio", RuleRange, "is %v; the runtime cannot use more than the container's limit: write a share such as 0.9, or -1 to leave the runtime alone", l.MemoryLimitRatio)
	}
	p.Nest("limits.", l.Concurrency.Validate())
	if bt, grace := l.Concurrency.BacklogTimeout, t.Write-t.Handler; t.Handler > 0 && t.Write > 0 && grace >= minWriteGrace && bt > grace/2 {
		p.Add("limits.concurrency.backlog_timeout", RuleBacklogInWrite,
			"%v takes more than half of the %v between timeouts.handler and timeouts.write: a request that waited in the backlog and then timed out may get EOF instead of its 503; set it to at most %v or leave it 0 to derive it",
			bt, grace, grace/2)
	}
	if l.MaxConnections > 0 && nofile > 0 && uint64(l.MaxConnections) >= nofile {
		p.Add("limits.max_connections", RuleFDBudget,
			"%d is not below the open-file limit (%d): at the cap accept fails with EMFILE and so does every file and outbound connection; lower it to %d or leave it 0 to derive it, or raise the limit (ulimit -n, LimitNOFILE=)",
			l.MaxConnections, nofile, deriveMaxConnections(nofile))
	}
	if s.Timeout < 0 {
		p.Add("shutdown.timeout", RuleRange, "is negative (%v), which cuts every in-flight request at once; give them a bound such as 15s", s.Timeout)
	}
	if s.TerminationGrace > 0 {
		drain := max(s.DrainDelay, 0)
		if drain+s.Timeout >= s.TerminationGrace {
			p.Add("shutdown.termination_grace", RuleShutdownInGrace,
				"shutdown.drain_delay (%v) + shutdown.timeout (%v) = %v does not fit inside the platform's grace period (%v): the process is killed mid-drain; shorten them or raise terminationGracePeriodSeconds",
				drain, s.Timeout, drain+s.Timeout, s.TerminationGrace)
		}
	}
	c.HTTP2.validate(p)
	c.Admin.validate(p)
	return p.Err()
}

// Validate reports every problem of the admin listener's config, named
// under "server.admin".
func (a AdminConfig) Validate() error {
	p := &problems{Prefix: "server."}
	a.withDefaults().validate(p)
	return p.Err()
}

func (a AdminConfig) validate(p *problems) {
	host, _, err := net.SplitHostPort(a.Addr)
	if err != nil {
		p.Add("admin.addr", RuleRange, "%q is not host:port (%v); use 127.0.0.1:9090", a.Addr, err)
	} else if !a.Expose && !isLoopbackHost(host) {
		p.Add("admin.addr", RuleAdminLoopback,
			"%q listens beyond loopback, exposing pprof and health endpoints; bind 127.0.0.1 or set admin.expose: true to say so on purpose", a.Addr)
	}
	if a.MaxProfile < 0 {
		p.Add("admin.max_profile", RuleRange, "is negative (%v); set the longest profile to allow, such as 30s", a.MaxProfile)
	}
}
