//go:build unix

package scenarios

import "syscall"

// openFileLimit returns the soft RLIMIT_NOFILE of this process (which the
// Go runtime raises to the hard limit at start-up), or a conservative
// 1024 when it cannot be read.
func openFileLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 1024
	}
	return int(min(rl.Cur, 1<<20))
}
