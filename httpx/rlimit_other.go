//go:build !unix

package httpx

// openFileLimit returns 0: the platform has no RLIMIT_NOFILE to read.
func openFileLimit() uint64 { return 0 }
