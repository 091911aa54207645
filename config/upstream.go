package config

import (
	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/configerr"
)

// Upstream describes, under the key "upstream", a load balancer in front
// of the server whose own configuration lint cannot read (a cloud load
// balancer), so the cross-tier rules can check the server against it.
type Upstream struct {
	// Name says which load balancer this is in findings, such as
	// "aws-alb". Zero: "upstream".
	Name string `yaml:"name" json:"name"`

	// IdleTimeout is how long the load balancer keeps an idle connection
	// to the server open: 60s by default on AWS ALB, 350s on AWS NLB,
	// 600s on Google Cloud's external Application Load Balancer (its
	// backend keepalive). The server's idle timeout must exceed it (rule
	// idle-above-upstream). Zero: unknown, not checked. Negative: refused.
	IdleTimeout harden.Duration `yaml:"idle_timeout" json:"idle_timeout"`

	// RequestTimeout is how long the load balancer waits for the
	// server's response before answering 504 itself: Google Cloud's
	// backend service timeout (30s by default), or, on AWS ALB, the idle
	// timeout, since ALB answers 504 when the target sends nothing for
	// that long. It must exceed the server's handler timeout (rule
	// attempt-above-handler). Zero: unknown, not checked. Negative: none.
	RequestTimeout harden.Duration `yaml:"request_timeout" json:"request_timeout"`
}

// Validate reports every problem of u at once, as *harden.ConfigError values
// named under "upstream".
func (u Upstream) Validate() error {
	p := &configerr.Problems{Prefix: "upstream."}
	if u.IdleTimeout < 0 {
		p.Add("idle_timeout", harden.RuleRange, "is negative (%v); write the load balancer's idle timeout, or 0 when unknown", u.IdleTimeout)
	}
	return p.Err()
}

func (u Upstream) name() string {
	if u.Name == "" {
		return "upstream"
	}
	return u.Name
}
