//go:build !unix

package main

// openFileLimit returns 0: there is no RLIMIT_NOFILE to read.
func openFileLimit() uint64 { return 0 }
