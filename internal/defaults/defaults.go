// Package defaults fills in the zero fields of a config, the one way every
// package's WithDefaults does it.
package defaults

// Set sets *field to def when it holds its zero value.
func Set[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}
