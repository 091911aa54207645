package config

import (
	"cmp"
	"slices"
)

// Severity is how bad a finding is.
type Severity string

// Severities of a [Finding].
const (
	// SeverityError: a request will fail because of it (a 502, a cut
	// response, a SIGKILL mid-request), or the config is refused.
	SeverityError Severity = "error"
	// SeverityWarning: something lint could not check, or a copied value
	// that has gone stale.
	SeverityWarning Severity = "warning"
)

// Finding is one incoherence found by [Lint].
type Finding struct {
	// Rule is the stable, kebab-case rule name.
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// File, Line and Key locate the value to change; Line is 0 when
	// unknown (a default that is not written). A value set by an
	// environment variable has File "$HARDEN_...".
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Key  string `json:"key,omitempty"`
	// Message states the problem with the numbers involved.
	Message string `json:"message"`
	// Fix says what to change, when it is not part of Message.
	Fix string `json:"fix,omitempty"`
}

// sortFindings orders findings by file, line, rule and message, so output
// is stable.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Key, b.Key),
			cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message))
	})
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == SeverityError })
}
