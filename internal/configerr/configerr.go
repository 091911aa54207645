// Package configerr is the one shape of a configuration problem across
// harden's packages, so that a caller handles a server, TLS and retry
// config's problems alike: each names the key path as written in a config
// file, a stable rule name, and the reason with its fix. httpx, tlsx and retry export it as their ConfigError.
package configerr

import (
	"errors"
	"fmt"
)

// Error is one problem of a configuration. Field is the key path as
// written in a config file ("server.timeouts.write"), Rule the stable,
// kebab-case rule name ("write-after-handler"), and Reason says what is
// wrong and how to fix it.
type Error struct {
	Field  string
	Rule   string
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Field, e.Rule, e.Reason)
}

// Problems collects the problems of one validation under a key prefix
// ("server.", "tls."), so that every problem is reported at once.
type Problems struct {
	Prefix string
	errs   []error
}

// Add records a problem of the field at Prefix+field.
func (p *Problems) Add(field, rule, format string, args ...any) {
	p.errs = append(p.errs, &Error{Field: p.Prefix + field, Rule: rule, Reason: fmt.Sprintf(format, args...)})
}

// Nest records the problems of err, a nested config's validation, with
// Prefix+prefix before each field; errors that are not *Error are kept
// as they are.
func (p *Problems) Nest(prefix string, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	for _, e := range errs {
		if ce, ok := e.(*Error); ok {
			p.errs = append(p.errs, &Error{Field: p.Prefix + prefix + ce.Field, Rule: ce.Rule, Reason: ce.Reason})
			continue
		}
		p.errs = append(p.errs, e)
	}
}

// Errs returns the problems recorded so far, each an *Error.
func (p *Problems) Errs() []error { return p.errs }

// Err joins the problems recorded so far with errors.Join; nil when there
// are none.
func (p *Problems) Err() error { return errors.Join(p.errs...) }
