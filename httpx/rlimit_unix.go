//go:build unix

package httpx

import "syscall"

// openFileLimit returns the soft RLIMIT_NOFILE, or 0 when it cannot be read.
func openFileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return rl.Cur
}
