package httpx

import (
	"github.com/harden-go/harden/internal/configerr"
)

// Rule names of Validate problems, reported in [harden.ConfigError.Rule]
// besides [harden.RuleRange]. They are stable across versions.
const (
	RuleHeaderTimeout     = "header-timeout"
	RuleWriteAfterHandler = "write-after-handler"
	RuleIdleAboveUpstream = "idle-above-upstream"
	RuleShutdownInGrace   = "shutdown-within-grace"
	RuleBodyRate          = "body-rate"
	RuleFDBudget          = "fd-budget"
	RuleNoDefaultMux      = "no-default-mux"
	RuleAdminLoopback     = "admin-loopback"
	RuleHandlerRequired   = "handler-required"
	RuleBacklogInWrite    = "backlog-within-write"
)

// problems collects ConfigErrors under a key prefix.
type problems = configerr.Problems
