//go:build unix

package limits

import (
	"net"
	"syscall"
)

// tryWriter writes to a TCP connection only what the kernel takes at
// once, without waiting on the peer: a write that does not wait needs no
// deadline, so the write guard arms one only for the writes that would
// block (see conn.Write). It is not safe for concurrent use.
type tryWriter struct {
	raw syscall.RawConn
	fn  func(fd uintptr) bool // w.writeFD, bound once so that a write does not allocate
	p   []byte
	n   int
}

// newTryWriter returns a tryWriter for c, or nil when c is not a TCP
// connection: only a connection from package net is known to be
// non-blocking, so that a write on its descriptor never waits.
func newTryWriter(c net.Conn) *tryWriter {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &tryWriter{raw: raw}
	w.fn = w.writeFD
	return w
}

// write writes what of p the kernel takes without waiting and returns how
// much. It stops at the first error, and at the connection's write
// deadline when that has passed, without reporting either: the
// caller's blocking write of the rest meets it again and reports it as
// net.Conn.Write does.
func (w *tryWriter) write(p []byte) int {
	w.p, w.n = p, 0
	_ = w.raw.Write(w.fn)
	w.p = nil
	return w.n
}

func (w *tryWriter) writeFD(fd uintptr) bool {
	for w.n < len(w.p) {
		n, err := syscall.Write(int(fd), w.p[w.n:])
		if n > 0 {
			w.n += n
		}
		switch {
		case err == syscall.EINTR:
		case err != nil || n <= 0:
			return true // EAGAIN or a failure: done either way
		}
	}
	return true
}
