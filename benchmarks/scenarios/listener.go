package scenarios

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// countingListener is the listener a target serves on. It measures what
// the server did rather than what the attacker hoped: how many bytes the
// server read from its connections, and how many it held open at once.
// It also remembers every connection it handed out, so a scenario can
// close them all when it ends, whatever the server under test did with
// them. It is safe for concurrent use.
type countingListener struct {
	net.Listener
	read atomic.Int64

	mu     sync.Mutex
	conns  map[*countingConn]struct{}
	peak   int
	closed bool
}

func newCountingListener(l net.Listener) *countingListener {
	return &countingListener{Listener: l, conns: make(map[*countingConn]struct{})}
}

// Accept accepts a connection and counts it open until it is closed.
func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		// closeAll ran while this connection was being accepted.
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.conns[cc] = struct{}{}
	l.peak = max(l.peak, len(l.conns))
	return cc, nil
}

// BytesRead returns how many bytes the server has read from every
// connection accepted so far.
func (l *countingListener) BytesRead() int64 { return l.read.Load() }

// Open returns how many accepted connections the server has not closed.
func (l *countingListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// Peak returns the most connections that were open at once.
func (l *countingListener) Peak() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}

// find returns the connection the server accepted from the client
// address remote, or nil when the server has closed it.
func (l *countingListener) find(remote string) *countingConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if c.RemoteAddr().String() == remote {
			return c
		}
	}
	return nil
}

// closeAll closes the listener and every connection it accepted that is
// still open. Connections accepted afterwards are closed at once.
func (l *countingListener) closeAll() {
	l.mu.Lock()
	l.closed = true
	open := make([]*countingConn, 0, len(l.conns))
	for c := range l.conns {
		open = append(open, c)
	}
	l.mu.Unlock()
	_ = l.Listener.Close()
	for _, c := range open {
		_ = c.Close()
	}
}

func (l *countingListener) forget(c *countingConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
}

// countingConn is a server-side connection that counts what the server
// reads from it.
type countingConn struct {
	net.Conn
	l    *countingListener
	read atomic.Int64 // bytes the server read from this connection
	once sync.Once
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.read.Add(int64(n))
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Close() error {
	c.once.Do(func() { c.l.forget(c) })
	return c.Conn.Close()
}

// SetLinger sets SO_LINGER when the underlying connection can, so that a
// server that resets the connections it gives up on (harden) does so
// through the counting wrapper too.
func (c *countingConn) SetLinger(sec int) error {
	if l, ok := c.Conn.(interface{ SetLinger(sec int) error }); ok {
		return l.SetLinger(sec)
	}
	return nil
}

// SyscallConn gives access to the underlying socket, so that a server
// can set socket options (harden's TCP_NOTSENT_LOWAT) through the
// counting wrapper too.
func (c *countingConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// CloseWrite half-closes the connection when the underlying one can.
// net/http sends its last answer (a 431, a 413 that leaves a body unread)
// with a FIN before it closes, so the client reads the answer instead of a
// reset; wrapping the connection must not change that.
func (c *countingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
