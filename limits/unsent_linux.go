package limits

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// limitUnsent sets TCP_NOTSENT_LOWAT on c (or on what it wraps, when that
// exposes its descriptor): the kernel then takes a write only while less
// than n bytes wait unsent, instead of filling a send buffer that
// autotuning grows to megabytes. Data in flight is not limited, so
// throughput is not either; but a peer that stops reading now stops the
// writer within n bytes, where the write guard sees it, and the kernel
// holds at most n unsent bytes for it. Errors leave the socket as it was.
func limitUnsent(c net.Conn, n int) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, n)
	})
}
