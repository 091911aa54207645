package httpx

import (
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// defaultClientMaxConnLifetime matches the server's default connection
// age (see "Connection lifetime" in the package doc).
const defaultClientMaxConnLifetime = defaultMaxConnectionAge

// lifetime is the RoundTripper, just above the pool, that retires the
// pool's connections once they are older than max: an old connection is
// closed as soon as no request is using it, so the next request dials,
// which resolves the host's name again. It learns of connections from
// httptrace's GotConn on each request and counts their requests in
// flight until the response body is closed or read to its end. It is safe
// for concurrent use; it holds one timer per connection it knows, and no
// goroutine.
type lifetime struct {
	base http.RoundTripper
	max  time.Duration

	mu    sync.Mutex
	conns map[net.Conn]*pooledConn
}

// pooledConn is one connection's age and use, guarded by lifetime.mu.
type pooledConn struct {
	c     net.Conn
	busy  int
	old   bool
	timer *time.Timer
}

var _ http.RoundTripper = (*lifetime)(nil)

// withLifetime returns base with connections retired after max, or base
// itself when max is negative (disabled).
func withLifetime(base http.RoundTripper, max time.Duration) http.RoundTripper {
	if max <= 0 {
		return base
	}
	return &lifetime{base: base, max: max, conns: make(map[net.Conn]*pooledConn)}
}

// RoundTrip sends req through the base RoundTripper, noting the
// connection it is given. net/http may give one request several
// connections when it sends it again after a connection failed; the last
// one counts.
func (l *lifetime) RoundTrip(req *http.Request) (*http.Response, error) {
	u := &connUse{l: l}
	u.trace.GotConn = u.gotConn
	resp, err := l.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), &u.trace)))
	u.mu.Lock()
	u.returned = true
	pc := u.pc
	u.mu.Unlock()
	switch {
	case pc == nil:
	case err != nil:
		u.done()
	case resp.StatusCode == http.StatusSwitchingProtocols:
		l.forget(pc) // the connection left the pool with the caller
	default:
		u.body = resp.Body
		resp.Body = u
	}
	return resp, err
}

// connUse is one request's use of a pooled connection, from httptrace's
// GotConn until the response body is closed or read to its end; it is
// that body, in one allocation with the trace that finds the connection.
type connUse struct {
	l     *lifetime
	trace httptrace.ClientTrace
	body  io.ReadCloser

	mu       sync.Mutex
	pc       *pooledConn // nil once released
	returned bool        // RoundTrip returned: later GotConns are not this request's
}

func (u *connUse) gotConn(info httptrace.GotConnInfo) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.returned {
		return
	}
	if u.pc != nil {
		u.l.release(u.pc)
	}
	u.pc = u.l.use(info.Conn)
}

// done ends the request's use of its connection, once.
func (u *connUse) done() {
	u.mu.Lock()
	pc := u.pc
	u.pc = nil
	u.mu.Unlock()
	if pc != nil {
		u.l.release(pc)
	}
}

func (u *connUse) Read(p []byte) (int, error) {
	n, err := u.body.Read(p)
	if err != nil {
		u.done()
	}
	return n, err
}

func (u *connUse) Close() error {
	err := u.body.Close()
	u.done()
	return err
}

// use records a request on c, starting c's clock if c is new to l.
func (l *lifetime) use(c net.Conn) *pooledConn {
	if c == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	pc := l.conns[c]
	if pc == nil {
		pc = &pooledConn{c: c}
		l.conns[c] = pc
		pc.timer = time.AfterFunc(l.max, func() { l.expire(pc) })
	}
	pc.busy++
	return pc
}

// release ends one request on pc; an old connection left unused closes.
func (l *lifetime) release(pc *pooledConn) {
	l.mu.Lock()
	pc.busy--
	retire := pc.old && pc.busy == 0
	l.mu.Unlock()
	if retire {
		l.retire(pc)
	}
}

// expire marks pc old, closing it at once if no request uses it.
func (l *lifetime) expire(pc *pooledConn) {
	l.mu.Lock()
	pc.old = true
	retire := pc.busy == 0
	l.mu.Unlock()
	if retire {
		l.retire(pc)
	}
}

// retire closes pc's connection and forgets it. The pool sees the close
// on its next read; a request that took the connection from the pool in
// the meantime has written nothing, and net/http sends it again on
// another connection, whatever its method. The close happens outside
// the lock: a TLS close may wait to send its alert.
func (l *lifetime) retire(pc *pooledConn) {
	l.forget(pc)
	pc.c.Close()
}

// forget stops tracking pc without closing it.
func (l *lifetime) forget(pc *pooledConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pc.timer.Stop()
	delete(l.conns, pc.c)
}

// CloseIdleConnections closes the base RoundTripper's idle connections.
func (l *lifetime) CloseIdleConnections() {
	if c, ok := l.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
