// Package configerr collects the problems of one validation as
// [harden.ConfigError] values, so that every package reports all of them
// at once in the same shape.
package configerr

import (
	"errors"
	"fmt"

	"github.com/harden-go/harden"
)

// Problems collects the problems of one validation under a key prefix
// ("server.", "tls."), so that every problem is reported at once.
type Problems struct {
	Prefix string
	errs   []error
}

// Add records a problem of the field at Prefix+field.
func (p *Problems) Add(field, rule, format string, args ...any) {
	p.errs = append(p.errs, &harden.ConfigError{Field: p.Prefix + field, Rule: rule, Reason: fmt.Sprintf(format, args...)})
}

// Nest records the problems of err, a nested config's validation, with
// Prefix+prefix before each field; errors that are not *harden.ConfigError are kept
// as they are.
func (p *Problems) Nest(prefix string, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	for _, e := range errs {
		if ce, ok := e.(*harden.ConfigError); ok {
			p.errs = append(p.errs, &harden.ConfigError{Field: p.Prefix + prefix + ce.Field, Rule: ce.Rule, Reason: ce.Reason})
			continue
		}
		p.errs = append(p.errs, e)
	}
}

// Errs returns the problems recorded so far, each a *harden.ConfigError.
func (p *Problems) Errs() []error { return p.errs }

// Err joins the problems recorded so far with errors.Join; nil when there
// are none.
func (p *Problems) Err() error { return errors.Join(p.errs...) }
