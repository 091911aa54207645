package config

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/harden-go/harden/httpx"
)

// checkClient applies the rules between f's client and the server of
// another service config, the one it calls (httpx's ValidateAgainst).
func checkClient(f, server *File) []Finding {
	var errs []error
	for _, err := range flatten(f.Service.Client.ValidateAgainst(*server.Service.Server)) {
		var ce *ConfigError
		if errors.As(err, &ce) && (ce.Rule == httpx.RuleIdleBelowServer || ce.Rule == httpx.RuleAttemptAboveHandler) {
			errs = append(errs, err)
		}
	}
	return f.findings(errs, fmt.Sprintf(" (the server of %s)", server.Name))
}

// checkClientHop applies idle-below-server between f's client and a
// proxy it calls through, which closes idle connections from its clients
// after h.clientIdle.
func checkClientHop(f *File, h hop) []Finding {
	idle := f.Service.Client.Timeouts.Idle
	if idle == 0 {
		idle = httpx.DefaultClientConfig().Timeouts.Idle
	}
	if h.clientIdle.d <= 0 || (idle > 0 && idle < h.clientIdle.d) {
		return nil
	}
	s := f.setting("client.timeouts.idle", idle)
	return []Finding{at(s, httpx.RuleIdleBelowServer, SeverityError,
		fmt.Sprintf("%s is not below the idle timeout of %s, %s: the proxy may close a connection just as the client sends on it, and the request fails", s, h.name, h.clientIdle),
		fmt.Sprintf("set client.timeouts.idle below %s", seconds(h.clientIdle.d)))}
}

// serverView is a service's server with the defaults of the values the
// cross-tier rules read filled in.
type serverView struct {
	f                              *File
	idle, handler, drain, shutdown setting
	age                            setting // server.limits.max_connection_age
	port, adminPort                int
	adminLoopback                  bool
	// maxBody and minRate are the effective body limits, known when the
	// server section is valid (some are derived by httpx).
	maxBody httpx.Bytes
	minRate httpx.Rate
}

func newServerView(f *File) serverView {
	c, d := *f.Service.Server, httpx.DefaultServerConfig()
	or := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	addr, admin := c.Addr, c.Admin.Addr
	if addr == "" {
		addr = d.Addr
	}
	if admin == "" {
		admin = d.Admin.Addr
	}
	v := serverView{
		f:        f,
		idle:     f.setting("server.timeouts.idle", or(c.Timeouts.Idle, d.Timeouts.Idle)),
		handler:  f.setting("server.timeouts.handler", or(c.Timeouts.Handler, d.Timeouts.Handler)),
		drain:    f.setting("server.shutdown.drain_delay", max(or(c.Shutdown.DrainDelay, d.Shutdown.DrainDelay), 0)),
		shutdown: f.setting("server.shutdown.timeout", or(c.Shutdown.Timeout, d.Shutdown.Timeout)),
		age:      f.setting("server.limits.max_connection_age", or(c.Limits.MaxConnectionAge, d.Limits.MaxConnectionAge)),
		port:     port(addr),
	}
	if srv, err := httpx.NewServer(c, http.NotFoundHandler()); err == nil {
		eff := srv.Config().Limits
		v.maxBody, v.minRate = eff.MaxBodyBytes, eff.MinBodyRate
	}
	host, _, _ := net.SplitHostPort(admin)
	v.adminPort = port(admin)
	ip := net.ParseIP(host)
	v.adminLoopback = !c.Admin.Expose && (host == "localhost" || (ip != nil && ip.IsLoopback()))
	return v
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// seconds prints d the way config files write it: "90s" rather than
// "1m30s".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// at is a finding located at s.
func at(s setting, rule string, sev Severity, msg, fix string) Finding {
	return Finding{Rule: rule, Severity: sev, File: s.file, Line: s.line, Key: s.key, Message: msg, Fix: fix}
}

// checkHop applies the client rules to a proxy or load balancer in front
// of the server.
func (v serverView) checkHop(h hop) []Finding {
	var out []Finding
	if h.idle != nil && v.idle.d > 0 && (h.idle.d <= 0 || h.idle.d >= v.idle.d) {
		theirs := h.idle.String()
		if h.idle.d <= 0 {
			theirs += ", which never closes idle connections"
		}
		out = append(out, at(v.idle, RuleIdleAboveUpstream, SeverityError,
			fmt.Sprintf("%s is not above the idle timeout of %s, %s: it may send a request on a connection the server is closing, and answer 502",
				v.idle, h.name, theirs),
			fmt.Sprintf("make %s close idle connections before %s (such as %s), or raise %s above %s", h.name, seconds(v.idle.d), seconds(v.idle.d/2), v.idle.key, seconds(h.idle.d))))
	}
	if v.maxBody > 0 && v.minRate > 0 {
		need := time.Duration(float64(v.maxBody) / float64(v.minRate) * float64(time.Second)).Round(time.Second)
		for _, r := range h.reads {
			if r.d > 0 && r.d < need {
				out = append(out, at(r, RuleBodyWithinProxyRead, SeverityError,
					fmt.Sprintf("%s stops reading a request after %s, but a body of server.limits.max_body_bytes %v at server.limits.min_body_rate %v takes %s: the proxy cuts slow uploads the server accepts",
						h.name, r, v.maxBody, v.minRate, seconds(need)),
					fmt.Sprintf("raise %s to at least %s, or raise server.limits.min_body_rate or lower max_body_bytes", r.key, seconds(need))))
			}
		}
	}
	for _, w := range h.waits {
		if v.handler.d <= 0 || w.d <= 0 || w.d > v.handler.d {
			continue
		}
		out = append(out, at(w, RuleAttemptAboveHandler, SeverityError,
			fmt.Sprintf("%s gives up on the server's response after %s, not after %s: it answers the client itself before the server's own 503 problem+json arrives",
				h.name, w, v.handler),
			fmt.Sprintf("raise %s to at least %s (handler + 5s), or lower %s below %s", w.key, seconds(v.handler.d+5*time.Second), v.handler.key, seconds(w.d))))
	}
	return out
}

// checkCopies warns when a value the server's config copies from another
// tier differs from that tier's own file.
func (v serverView) checkCopies(hops []hop, workloads []workload) []Finding {
	var out []Finding
	c := v.f.Service.Server
	var idles []setting
	for _, h := range hops {
		if h.idle != nil && !h.implied {
			idles = append(idles, *h.idle)
		}
	}
	if copied := c.Timeouts.UpstreamIdle; copied > 0 && len(idles) == 1 && idles[0].d != copied {
		s := v.f.setting("server.timeouts.upstream_idle", copied)
		out = append(out, at(s, RuleCopyMatches, SeverityWarning,
			fmt.Sprintf("%s differs from the idle timeout of the proxy in front, %s", s, idles[0]),
			fmt.Sprintf("write %s, or remove %s and lint with the proxy's file", seconds(idles[0].d), s.key)))
	}
	for _, w := range workloads {
		if copied := c.Shutdown.TerminationGrace; copied > 0 && w.grace.d != copied {
			s := v.f.setting("server.shutdown.termination_grace", copied)
			out = append(out, at(s, RuleCopyMatches, SeverityWarning,
				fmt.Sprintf("%s differs from the grace period of %s, %s", s, w.name, w.grace),
				fmt.Sprintf("write %s, or remove %s and lint with the manifest", seconds(w.grace.d), s.key)))
		}
	}
	return out
}

// checkWorkload applies the Kubernetes rules to the container of w that
// runs the server.
func (v serverView) checkWorkload(w workload) []Finding {
	c, ok := w.serverContainer(v.port)
	if !ok {
		return []Finding{{Rule: RuleContainerFound, Severity: SeverityWarning, File: w.file, Key: w.name,
			Message: fmt.Sprintf("no container of %s declares the server's port %d (server.addr of %s), and it has %d containers; its rules were not checked", w.name, v.port, v.f.Name, len(w.containers)),
			Fix:     fmt.Sprintf("declare containerPort %d on the container that runs the server", v.port)}}
	}
	var out []Finding
	total := c.preStop.d + v.drain.d + v.shutdown.d
	if total >= w.grace.d {
		out = append(out, at(w.grace, RuleShutdownInGrace, SeverityError,
			fmt.Sprintf("%s + %s + %s = %s does not fit inside the grace period of %s, %s: Kubernetes sends SIGKILL while requests are in flight",
				c.preStop, v.drain, v.shutdown, seconds(total), w.name, w.grace),
			fmt.Sprintf("raise terminationGracePeriodSeconds to %d, or shorten the preStop sleep, drain_delay or shutdown.timeout", int((total+5*time.Second)/time.Second))))
	}
	if r := c.readiness; r != nil {
		fail := r.period.d * time.Duration(r.threshold)
		if fail > v.drain.d {
			out = append(out, at(v.drain, RuleReadinessInDrain, SeverityError,
				fmt.Sprintf("%s's readinessProbe fails after periodSeconds %s x failureThreshold %d = %s (%s:%d), longer than %s %s: the server stops listening while load balancers that follow readiness still route to it",
					c.name, seconds(r.period.d), r.threshold, seconds(fail), w.file, r.line, v.drain.key, seconds(v.drain.d)),
				fmt.Sprintf("raise %s to at least %s, or probe more often (such as periodSeconds 5, failureThreshold 2)", v.drain.key, seconds(fail))))
		}
	}
	out = append(out, v.checkReplicas(w)...)
	for _, p := range c.probes {
		if p.port != 0 && p.port == v.adminPort && v.adminLoopback {
			out = append(out, Finding{Rule: RuleProbeReachesAdmin, Severity: SeverityError, File: w.file, Line: p.line, Key: p.path,
				Message: fmt.Sprintf("%s targets the admin port %d, but server.admin.addr binds loopback and the kubelet probes the pod IP: the probe always fails", p.kind, p.port),
				Fix:     fmt.Sprintf("set server.admin.addr to \":%d\" with server.admin.expose: true, and keep the port out of every Service", p.port)})
		}
	}
	return out
}
