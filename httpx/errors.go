package httpx

import "fmt"

// ConfigError is one problem found by Validate or refused by a
// constructor. Field is the key path as written in a config file
// ("server.timeouts.write"), Rule the stable rule name that `harden lint`
// prints and tests assert ("write-after-handler"), and Reason says what is
// wrong and how to fix it.
type ConfigError struct {
	Field  string
	Rule   string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Field, e.Rule, e.Reason)
}

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
)

// problems collects ConfigErrors under a key prefix.
type problems struct {
	prefix string
	errs   []error
}

func (p *problems) add(field, rule, format string, args ...any) {
	p.errs = append(p.errs, &ConfigError{Field: p.prefix + field, Rule: rule, Reason: fmt.Sprintf(format, args...)})
}
