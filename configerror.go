package harden

import "fmt"

// ConfigError is one problem of a configuration, found by a Validate
// method or refused by a constructor of any harden package, so a caller
// handles a server's, a TLS config's and a retry policy's problems alike.
// Field is the key path as written in a config file
// ("server.timeouts.write"), Rule a stable, kebab-case rule name that
// programs and tests can match ("write-after-handler"; each package lists
// its own), and Reason says what is wrong and how to fix it.
type ConfigError struct {
	Field  string
	Rule   string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Field, e.Rule, e.Reason)
}

// Rule names that several packages report in [ConfigError.Rule]. They are
// stable across versions.
const (
	// RuleRange: a value is outside the range its field accepts, such as
	// a negative timeout where negative disables nothing.
	RuleRange = "range"
	// RuleRequired: a field that must be set is empty.
	RuleRequired = "required"
)

// ConfigErrors returns every [*ConfigError] in err's tree, in order: err
// itself, the errors it wraps (Unwrap() error) and the members of joined
// errors (errors.Join, Unwrap() []error), at any depth. Validate methods
// return all their problems at once this way; ConfigErrors lists them
// without type-asserting each layer. It returns nil when there are none.
func ConfigErrors(err error) []*ConfigError {
	var out []*ConfigError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *ConfigError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, m := range e.Unwrap() {
				walk(m)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}
