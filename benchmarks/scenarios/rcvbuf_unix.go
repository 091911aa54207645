//go:build unix

package scenarios

import "syscall"

// smallReceiveBuffer is a dialer Control that shrinks the socket's
// receive buffer before it connects, so the window it advertises stays
// small, as slowhttptest's slow readers do.
func smallReceiveBuffer(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, slowReadBuffer)
	})
	if err != nil {
		return err
	}
	return serr
}
