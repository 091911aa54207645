package limits

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Listener is a [net.Listener] that caps how many of the connections it
// accepted are open at once. Create it with [NewListener]; it is safe for
// concurrent use.
type Listener struct {
	inner    net.Listener
	max      int64
	open     atomic.Int64
	rejected atomic.Uint64
}

var _ net.Listener = (*Listener)(nil)

// NewListener returns l capped at max concurrently open connections;
// max <= 0 disables the cap (connections are still counted).
//
// At the cap, Accept does not wait for a slot: it accepts the next
// connection, closes it at once, counts it in [Listener.Rejected], and
// goes on accepting. A listener that blocks instead (as
// golang.org/x/net/netutil.LimitListener does) hides the overload in the
// kernel's accept queue, where clients wait silently until their own
// timeouts fire and a load balancer's health checks still pass. A prompt
// close is a fast, visible failure: the client or load balancer tries
// another backend at once, and since the request was never sent, retrying
// it is safe even for a POST.
//
// Give NewListener the plain TCP listener and put TLS on top of it
// ([http.Server.ServeTLS] does), so a rejected client costs no handshake
// and net/http still sees the [*crypto/tls.Conn].
func NewListener(l net.Listener, max int) *Listener {
	return &Listener{inner: l, max: int64(max)}
}

// Accept waits for and returns the next connection under the cap. Closing
// the returned connection frees its slot.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			return nil, err
		}
		if n := l.open.Add(1); l.max > 0 && n > l.max {
			l.open.Add(-1)
			l.rejected.Add(1)
			_ = c.Close()
			continue
		}
		return &conn{Conn: c, l: l}, nil
	}
}

// Close closes the underlying listener; connections already accepted stay
// open.
func (l *Listener) Close() error { return l.inner.Close() }

// Addr returns the underlying listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Open returns the number of accepted connections not yet closed.
func (l *Listener) Open() int { return int(l.open.Load()) }

// Rejected returns the number of connections closed at accept because the
// cap was reached.
func (l *Listener) Rejected() uint64 { return l.rejected.Load() }

// conn frees its listener slot when first closed.
type conn struct {
	net.Conn
	l    *Listener
	once sync.Once
}

// Close closes the connection and frees its slot; only the first call
// frees it, however many goroutines call Close.
func (c *conn) Close() error {
	err := c.Conn.Close()
	// After the close, so the open connections never exceed the cap.
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}

// ReadFrom lets net/http keep its zero-copy path (sendfile, splice) to the
// underlying connection when it serves files.
func (c *conn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }
