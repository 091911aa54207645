//go:build unix

package limits

import (
	"net"
	"os"
	"syscall"
)

// tryWriter writes to a TCP connection only what the kernel takes at
// once, without waiting on the peer: a write that does not wait needs no
// deadline, so the write guard arms one only for the writes that would
// block (see conn.Write). It is not safe for concurrent use.
type tryWriter struct {
	c   *net.TCPConn
	raw syscall.RawConn
	fn  func(fd uintptr) bool // w.writeFD, bound once so that a write does not allocate
	p   []byte
	n   int
	err error // the write's failure, other than one to wait on
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
	w := &tryWriter{c: tc, raw: raw}
	w.fn = w.writeFD
	return w
}

// write writes what of p the kernel takes without waiting and returns how
// much, and the error of a write that failed, as net.Conn.Write reports
// it. It stops without an error where the kernel would make it wait, and
// where the connection is closed or its write deadline has passed: the
// caller's blocking write of the rest meets those again and reports them
// as net.Conn.Write does.
func (w *tryWriter) write(p []byte) (int, error) {
	w.p, w.n, w.err = p, 0, nil
	_ = w.raw.Write(w.fn)
	n, err := w.n, w.err
	w.p, w.err = nil, nil
	if err != nil {
		err = &net.OpError{Op: "write", Net: "tcp", Source: w.c.LocalAddr(), Addr: w.c.RemoteAddr(), Err: os.NewSyscallError("write", err)}
	}
	return n, err
}

func (w *tryWriter) writeFD(fd uintptr) bool {
	for w.n < len(w.p) {
		n, err := syscall.Write(int(fd), w.p[w.n:])
		if n > 0 {
			w.n += n
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN || n == 0 && err == nil:
			return true
		case err != nil:
			w.err = err
			return true
		}
	}
	return true
}
