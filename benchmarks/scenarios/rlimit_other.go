//go:build !unix

package scenarios

// openFileLimit returns a conservative descriptor budget where the
// open-file limit cannot be read.
func openFileLimit() int { return 1024 }
