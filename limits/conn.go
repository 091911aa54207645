package limits

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/problem"
)

// ConnConfig is what each connection a [Listener] accepts enforces on its
// writes and its close. The zero value enforces nothing; package httpx
// fills in its defaults (server.limits).
type ConnConfig struct {
	// WriteStallTimeout ends the connection when a write makes no
	// progress for this long: the peer stopped reading, and its TCP
	// window and the server's send buffer are full (nginx's
	// send_timeout). Writes are checked in pieces of at most 16KiB, so
	// a large response to a peer that reads steadily is never cut.
	// Zero or negative: no stall check.
	WriteStallTimeout harden.Duration

	// MinWriteRate is the rate writes must keep
	// while they are blocked on the peer, measured over each
	// WriteRateWindow of blocked time, so a peer that reads a few bytes
	// at a time is dropped too. Time the handler spends between writes
	// does not count: a slow stream of events is never cut. Zero or
	// negative: no rate check.
	MinWriteRate harden.Rate

	// WriteRateWindow is the blocked time over which MinWriteRate is
	// measured. Zero or negative: no rate check.
	WriteRateWindow harden.Duration

	// LingerTimeout is how long closing a connection on which a request
	// with a body was refused (see [ConnContext]) keeps reading and
	// discarding what the client still sends, after a half-close, so the client reads the
	// refusal instead of a reset (nginx's lingering_close). Zero or
	// negative: no lingering.
	LingerTimeout harden.Duration

	// LingerMaxBytes bounds what one lingering close reads. Zero or
	// negative: no lingering.
	LingerMaxBytes harden.Bytes
}

// writePiece is the most a guarded write hands the kernel at once, and,
// where the kernel allows (Linux's TCP_NOTSENT_LOWAT), the most it keeps
// unsent for the connection (see limitUnsent). A write is then taken
// only once what came before it has gone out to the peer, so a piece
// taken whole is progress the peer made, not room the kernel's send
// buffer found by growing; it is the size of a TLS record and of the
// low-water mark (tcp_notsent_lowat) Cloudflare tuned HTTP/2 with.
const writePiece = 16 << 10

// ConnContext records, in the context of connection c, whether harden
// refuses a request on it, so that c lingers on close. Use it as
// [http.Server.ConnContext] for a server that serves a [Listener]
// (package httpx does); without it a connection never lingers. A
// connection that wraps one of the Listener's and returns it from a
// NetConn method, as [*tls.Conn] does, is recognised too; any other
// connection is left alone.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	for {
		if lc, ok := c.(*conn); ok {
			return problem.WithConn(ctx, &lc.refusals)
		}
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return ctx
		}
		c = w.NetConn()
	}
}

// conn is a connection accepted by a Listener: it frees its slots when
// first closed, guards its writes and chooses how to close.
type conn struct {
	net.Conn
	b        *ConnBudget
	cfg      ConnConfig
	client   netip.Prefix // the per-address key, invalid when uncounted
	refusals problem.Conn

	deadline atomic.Int64 // the write deadline set by the server, Unix ns; 0: none
	aborted  atomic.Bool  // a write timed out: close with a reset

	wmu sync.Mutex // serializes Write, as the socket's own write lock does
	try *tryWriter // writes without waiting; nil where writes always arm the deadline

	mu      sync.Mutex // serializes the rate accounting of writes
	blocked time.Duration
	written int64

	closing  atomic.Bool
	cut      atomic.Bool // a second Close asked the linger to stop
	closeErr error
	closed   chan struct{}
}

func newConn(c net.Conn, b *ConnBudget, client netip.Prefix) *conn {
	lc := &conn{Conn: c, b: b, cfg: b.conn, client: client, closed: make(chan struct{})}
	if lc.guardsWrites() {
		limitUnsent(c, writePiece)
		lc.try = newTryWriter(c)
	}
	return lc
}

// errWriteTooSlow is returned by a write that kept below the minimum
// rate. It is a timeout, like the stall's deadline error.
var errWriteTooSlow = &writeTooSlowError{}

type writeTooSlowError struct{}

func (*writeTooSlowError) Error() string   { return "limits: peer reads the response too slowly" }
func (*writeTooSlowError) Timeout() bool   { return true }
func (*writeTooSlowError) Temporary() bool { return false }

// SetWriteDeadline records the server's deadline, which bounds every
// guarded write, and sets it.
func (c *conn) SetWriteDeadline(t time.Time) error {
	c.noteDeadline(t)
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline records the write part of t, like SetWriteDeadline.
func (c *conn) SetDeadline(t time.Time) error {
	c.noteDeadline(t)
	return c.Conn.SetDeadline(t)
}

func (c *conn) noteDeadline(t time.Time) {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.deadline.Store(ns)
}

// Write writes p in pieces, each bounded by the stall timeout and the
// server's deadline, and checks the rate over the time they wait. A piece
// is first offered to the kernel without waiting (on a TCP connection on
// Unix): what it takes at once is progress that waited on nothing, so it
// needs no deadline of its own and counts for the rate with no waiting
// time. The socket's deadline still bounds it: the server's, or one a
// guarded piece left, which is never later than the server's and, once
// past, sends the piece to the guarded path. Only the rest of a piece,
// which would wait on the peer, is written under the stall deadline,
// whose clock starts then (a few microseconds after the last progress).
func (c *conn) Write(p []byte) (int, error) {
	if !c.guardsWrites() {
		n, err := c.Conn.Write(p)
		c.noteErr(err)
		return n, err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var n int
	var progress time.Time
	for len(p) > 0 {
		piece := p[:min(len(p), writePiece)]
		if c.try != nil {
			m, err := c.try.write(piece)
			n, p, piece = n+m, p[m:], piece[m:]
			if m > 0 {
				c.keepsRate(int64(m), 0)
			}
			if err != nil {
				return n, err
			}
			if len(piece) == 0 {
				continue
			}
		}
		if progress.IsZero() {
			progress = time.Now()
		}
		m, err := c.guarded(true, &progress, func() (int64, error) {
			m, err := c.Conn.Write(piece)
			return int64(m), err
		})
		n += int(m)
		p = p[m:]
		switch {
		case err == errWindowKept:
			// The rate window closed on time: go on with the rest of
			// the piece, within what is left of the stall timeout.
		case err != nil:
			return n, err
		}
	}
	return n, nil
}

// ReadFrom lets net/http keep its zero-copy path (sendfile, splice) to the
// underlying connection when it serves files, in guarded pieces when
// writes are guarded. A piece cannot be resumed (the bytes of a plain
// reader are gone once read), so the rate is checked at the end of each.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if !c.guardsWrites() {
		n, err := io.Copy(c.Conn, r)
		c.noteErr(err)
		return n, err
	}
	var n int64
	progress := time.Now()
	for {
		m, err := c.guarded(false, &progress, func() (int64, error) { return io.CopyN(c.Conn, r, writePiece) })
		n += m
		switch {
		case errors.Is(err, io.EOF):
			return n, nil
		case err != nil:
			return n, err
		}
	}
}

func (c *conn) guardsWrites() bool {
	return c.cfg.WriteStallTimeout > 0 || c.ratesWrites()
}

func (c *conn) ratesWrites() bool {
	return c.cfg.MinWriteRate > 0 && c.cfg.WriteRateWindow > 0
}

// errWindowKept ends a piece of a write at the end of a rate window that
// kept the rate; the write goes on.
var errWindowKept = errors.New("limits: write rate window kept")

// guarded runs one piece of a write under the earliest of the stall
// deadline (the stall timeout after *progress, when the last piece was
// taken whole), the server's deadline and, when resumable, the end of
// the current rate window, and accounts its waiting time for the rate.
// A piece the kernel takes whole moves *progress on.
func (c *conn) guarded(resumable bool, progress *time.Time, write func() (int64, error)) (int64, error) {
	start := time.Now()
	var dl time.Time
	if c.cfg.WriteStallTimeout > 0 {
		dl = progress.Add(c.cfg.WriteStallTimeout.Std())
	}
	if ns := c.deadline.Load(); ns != 0 && (dl.IsZero() || ns < dl.UnixNano()) {
		dl = time.Unix(0, ns)
	}
	windowEnds := false
	if resumable && c.ratesWrites() {
		if end := start.Add(c.windowLeft()); dl.IsZero() || end.Before(dl) {
			dl, windowEnds = end, true
		}
	}
	_ = c.Conn.SetWriteDeadline(dl)
	n, err := write()
	waited := time.Since(start)
	if err == nil {
		*progress = start.Add(waited)
	}
	if windowEnds && isTimeout(err) {
		if !c.keepsRate(n, max(waited, c.windowLeft())) {
			c.aborted.Store(true)
			return n, errWriteTooSlow
		}
		return n, errWindowKept
	}
	c.noteErr(err)
	if err == nil && !c.keepsRate(n, waited) {
		c.aborted.Store(true)
		err = errWriteTooSlow
	}
	return n, err
}

// windowLeft is the waiting time left in the current rate window.
func (c *conn) windowLeft() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.WriteRateWindow.Std() - c.blocked
}

// keepsRate adds a piece of n bytes written in d to the current window and
// reports whether the window, once full, kept the minimum rate.
func (c *conn) keepsRate(n int64, d time.Duration) bool {
	if !c.ratesWrites() {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocked += d
	c.written += n
	if c.blocked < c.cfg.WriteRateWindow.Std() {
		return true
	}
	ok := float64(c.written) >= float64(c.cfg.MinWriteRate)*c.blocked.Seconds()
	c.blocked, c.written = 0, 0
	return ok
}

// noteErr remembers a write that timed out: the peer is not reading, and
// what is still buffered for it is not worth keeping.
func (c *conn) noteErr(err error) {
	if isTimeout(err) {
		c.aborted.Store(true)
	}
}

// CloseWrite half-closes the connection when the underlying one can, so
// that net/http's own half-close before closing (after a body it did not
// read) reaches the socket.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection and frees its slots. A connection whose
// write timed out is reset (SO_LINGER 0), so the kernel frees what it
// still buffers for the peer at once instead of retrying it for minutes.
// A connection on which a request with a body was refused lingers first:
// it half-closes and reads and discards what the client still sends,
// within LingerTimeout and LingerMaxBytes, so the client reads the
// refusal before the close. A Close during the linger cuts it short;
// only the first call closes.
func (c *conn) Close() error {
	if !c.closing.CompareAndSwap(false, true) {
		// Cut a lingering close short, and wait for it.
		c.cut.Store(true)
		_ = c.Conn.SetReadDeadline(longAgo)
		<-c.closed
		return c.closeErr
	}
	switch {
	case c.aborted.Load():
		if l, ok := c.Conn.(interface{ SetLinger(sec int) error }); ok {
			_ = l.SetLinger(0) // *net.TCPConn, or a wrapper that forwards it
		}
	case c.refusals.Refused() && c.cfg.LingerTimeout > 0 && c.cfg.LingerMaxBytes > 0:
		c.linger()
	}
	c.closeErr = c.Conn.Close()
	// After the close, so the open connections never exceed the cap.
	c.b.release(c.client)
	close(c.closed)
	return c.closeErr
}

// linger half-closes and discards what the peer sends until it closes,
// the time or the byte bound is reached, or a concurrent Close cuts it.
func (c *conn) linger() {
	_ = c.CloseWrite()
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.cfg.LingerTimeout.Std()))
	if c.cut.Load() {
		return
	}
	_, _ = io.CopyN(io.Discard, c.Conn, int64(c.cfg.LingerMaxBytes))
}
