//go:build unix

package main

import "syscall"

// openFileLimit returns the soft RLIMIT_NOFILE, or 0 when it cannot be
// read. Since Go 1.19 a Go program raises its soft limit to the hard one at
// start (golang/go#46279), so this is what a Go server on this host gets.
func openFileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return rl.Cur
}
