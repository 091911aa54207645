//go:build !linux

package scenarios

// kernelSockets cannot ask the kernel outside Linux.
func kernelSockets(int) (int, bool) { return 0, false }
