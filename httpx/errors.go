package httpx

import "github.com/harden-go/harden/internal/configerr"

// ConfigError is one problem found by Validate or refused by a
// constructor. Field is the key path as written in a config file
// ("server.timeouts.write"), Rule a stable rule name that programs and
// tests can match ("write-after-handler"), and Reason says what is wrong
// and how to fix it. It is the same type as tlsx's and retry's
// ConfigError, so one errors.As handles every package's problems.
type ConfigError = configerr.Error

// Rule names reported in [ConfigError.Rule]. They are stable across
// versions.
const (
	RuleRange             = "range"
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
