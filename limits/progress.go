package limits

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/defaults"
	"github.com/harden-go/harden/internal/reqcopy"
)

// CodeBodyTooSlow is the code member of the problem answer (408 Request
// Timeout) that [Progress] writes for a body that arrives too slowly.
const CodeBodyTooSlow = "body_too_slow"

// Defaults of [ProgressConfig], whose fields say why. httpx's and
// middleware's configs take theirs from here.
const (
	DefaultStallTimeout = 10 * harden.Second
	DefaultMinRate      = harden.Rate(harden.KiB)
	DefaultWindow       = 10 * harden.Second
)

// WithDefaults returns c with each zero field set to its default.
func (c ProgressConfig) WithDefaults() ProgressConfig {
	defaults.Set(&c.StallTimeout, DefaultStallTimeout)
	defaults.Set(&c.MinRate, DefaultMinRate)
	defaults.Set(&c.Window, DefaultWindow)
	return c
}

// ErrBodyTooSlow is matched by every [*SlowBodyError] through [errors.Is].
var ErrBodyTooSlow = errors.New("limits: request body too slow")

// ProgressConfig is how fast a request body must arrive under [Progress].
// The zero value is the hardened default: no 10 s without a byte, and at
// least 1 KiB/s over each 10 s window.
//
// The defaults sit between the anchors operators know. nginx's
// client_body_timeout (60 s) bounds only the gap between two reads, so a
// client that sends one byte a minute holds a connection forever; Apache's
// mod_reqtimeout (RequestReadTimeout body=20,MinRate=500) adds a minimum
// rate of 500 bytes/s. harden keeps both ideas, with a shorter gap and a
// rate twice Apache's that is still far below any real link.
//
// An attacker who meets the requirement exactly still holds a connection
// for about (body size) / MinRate: keep [Body]'s limit and MinRate
// consistent with the server's budget for reading a body (httpx's
// body-rate rule).
type ProgressConfig struct {
	// StallTimeout aborts the body when no byte arrives for this long
	// while the handler is reading. Zero: 10 s, enough for TCP to
	// retransmit a lost segment three times in a row (RFC 6298's initial
	// timeout of 1 s, doubling: 1+2+4 s), and a sixth of nginx's
	// client_body_timeout of 60 s. Negative: disabled.
	StallTimeout harden.Duration `json:"stall_timeout" yaml:"stall_timeout"`

	// MinRate is the rate in bytes per second the body must average over
	// each Window, so a client dripping bytes just fast enough to dodge
	// StallTimeout (the slow POST, or R-U-Dead-Yet, attack) is cut off
	// too. Zero: 1024 bytes/s, about twice mod_reqtimeout's MinRate=500
	// and below what even a GPRS link delivers. Negative: disabled.
	MinRate harden.Rate `json:"min_rate" yaml:"min_rate"`

	// Window is the length of the tumbling windows over which MinRate is
	// averaged: long enough to absorb TCP slow start and a retransmission,
	// short enough that a dripping client is found out within seconds.
	// Zero: 10 s, half of mod_reqtimeout's initial body timeout of 20 s.
	// Negative: disables the rate check, like a negative MinRate.
	Window harden.Duration `json:"window" yaml:"window"`
}

// progressSettings is a [ProgressConfig] with defaults applied; a zero
// stall or rate is disabled.
type progressSettings struct {
	stall     time.Duration
	rate      int64 // bytes per second
	window    time.Duration
	perWindow int64 // bytes each full window must bring, rate*window rounded up
}

func (c ProgressConfig) settings() progressSettings {
	c = c.WithDefaults()
	s := progressSettings{stall: max(c.StallTimeout.Std(), 0), rate: max(int64(c.MinRate), 0), window: c.Window.Std()}
	if s.window < 0 {
		s.rate = 0
	}
	if s.rate == 0 {
		s.window = 0
		return s
	}
	need := math.Ceil(float64(s.rate) * s.window.Seconds())
	if need >= math.MaxInt64 {
		s.perWindow = math.MaxInt64
	} else {
		s.perWindow = max(int64(need), 1)
	}
	return s
}

// SlowBodyError is the error a read of a request body returns under
// [Progress] once the body has arrived too slowly. It matches
// [ErrBodyTooSlow] with [errors.Is], and its Timeout method reports true,
// so code that asks an error whether it is a timeout gets the right
// answer.
type SlowBodyError struct {
	// Stalled is true when no byte arrived for the stall timeout, false
	// when a window brought fewer bytes than MinRate requires.
	Stalled bool
	// Read is the number of body bytes read before the failure.
	Read int64
	// Elapsed is the time the server spent waiting for those bytes:
	// the time its reads were blocked on the client, not the handler's
	// own time between reads.
	Elapsed time.Duration
	// MinRate and Window are the rate requirement in force; both are
	// zero when the rate check is disabled.
	MinRate int64
	Window  time.Duration
}

func (e *SlowBodyError) Error() string {
	return "limits: request body too slow: " + e.reason()
}

// reason is the error without its prefix, for the problem detail.
func (e *SlowBodyError) reason() string {
	if e.Stalled {
		return fmt.Sprintf("no byte arrived within the stall timeout, after %d bytes in %v", e.Read, e.Elapsed)
	}
	return fmt.Sprintf("%d bytes in %v, below the minimum of %d bytes/s over each %v window", e.Read, e.Elapsed, e.MinRate, e.Window)
}

// Is reports whether target is [ErrBodyTooSlow].
func (e *SlowBodyError) Is(target error) bool { return target == ErrBodyTooSlow }

// Timeout reports true: a slow body is a read timeout.
func (e *SlowBodyError) Timeout() bool { return true }

// Progress returns middleware that aborts request bodies that arrive too
// slowly for cfg: no byte for StallTimeout, or fewer than MinRate*Window
// bytes in a window (capped at what the Content-Length still expects).
// Only the time the server waits on the client counts, never the
// handler's own time between reads.
//
// A body found too slow makes that read and every later one return a
// [*SlowBodyError], and, unless the handler has committed to a response,
// the answer becomes 408 Request Timeout as application/problem+json
// (code [CodeBodyTooSlow]), with Connection: close on HTTP/1.x. A read
// cut by the request context returns an error wrapping the context's
// error and is not answered: the handler timeout owns that answer.
// Requests without a body pass untouched.
//
// The ResponseWriter behaves as under [Body]. The middleware is safe for
// concurrent use and starts no goroutine. "How Progress measures" in the
// package documentation says how the deadlines are set.
func Progress(cfg ProgressConfig) func(http.Handler) http.Handler {
	return progress(cfg, time.Now)
}

// progress is [Progress] with the clock injected.
func progress(cfg ProgressConfig, now func() time.Time) func(http.Handler) http.Handler {
	set := cfg.settings()
	return func(next http.Handler) http.Handler {
		if set.stall == 0 && set.rate == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			// One allocation for the guard, the body and the request
			// copy.
			st := &progressState{}
			g := &st.g
			g.init(w, r, st.values[:0])
			p := &st.body
			p.init(w, r, g, set, now)
			if r.ProtoMajor == 1 {
				g.onCommit = p
			}
			reqcopy.Into(&st.r, r, nil, p)
			reqcopy.Serve(next, g, r, &st.r)
			p.finish()
			g.finish()
		})
	}
}

// progressState is what [Progress] keeps for a request with a body.
type progressState struct {
	g      guard
	values snapValues // for g's snapshot
	body   progressReader
	r      http.Request // the copy handed to the next handler
}

// cause names the deadline that bounds a read.
type cause int

const (
	causeNone   cause = iota
	causeStall        // stall timeout since the last byte
	causeWindow       // end of a window that has not brought its due
	causeCtx          // request context's deadline
	causeServer       // http.Server's ReadTimeout
)

// progressReader is the request body under [Progress]. Durations in it
// are measured on the wait clock: the sum of the time spent blocked in
// reads of the body.
type progressReader struct {
	body io.ReadCloser
	g    *guard
	set  progressSettings
	now  func() time.Time
	ctx  context.Context
	h2   bool // deadlines are timers on the stream, not the socket

	ctxDeadline time.Time // zero: none
	srvDeadline time.Time // zero: none

	mu       sync.Mutex
	rc       *http.ResponseController // rcv, or nil once deadlines proved unsupported
	rcv      http.ResponseController
	inRead   bool
	expect   int64 // declared length, -1 when unknown
	total    int64
	waited   time.Duration // wait clock
	lastByte time.Duration // wait clock at the last byte
	winStart time.Duration // wait clock at the current window's start
	winRead  int64
	winNeed  int64
	eof      bool
	err      error // sticky *SlowBodyError
}

// init sets p up as the body of r, answered for by g.
func (p *progressReader) init(w http.ResponseWriter, r *http.Request, g *guard, set progressSettings, now func() time.Time) {
	p.body = r.Body
	p.g = g
	p.set = set
	p.now = now
	p.ctx = r.Context()
	p.h2 = r.ProtoMajor >= 2
	// NewResponseController is inlined: the controller lives in p.
	p.rcv = *http.NewResponseController(w)
	p.rc = &p.rcv
	p.expect = r.ContentLength
	if d, ok := p.ctx.Deadline(); ok {
		p.ctxDeadline = d
	}
	if srv, ok := p.ctx.Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 {
		// net/http counts ReadTimeout from the start of the request's
		// headers, a little before this; the read deadlines set here
		// replace its own, so keep them within it.
		p.srvDeadline = now().Add(srv.ReadTimeout)
	}
	p.winNeed = p.needLocked()
}

// needLocked is the due of a window starting now: MinRate*Window bytes,
// capped at what is still expected of a body of known length.
func (p *progressReader) needLocked() int64 {
	need := p.set.perWindow
	if p.expect >= 0 {
		need = min(need, max(p.expect-p.total, 0))
	}
	return need
}

// deadlineLocked returns the read deadline for a read starting at start,
// and which limit sets it; zero when nothing bounds the read.
func (p *progressReader) deadlineLocked(start time.Time) (time.Time, cause) {
	var d time.Time
	c := causeNone
	consider := func(t time.Time, why cause) {
		if c == causeNone || t.Before(d) {
			d, c = t, why
		}
	}
	if p.set.stall > 0 {
		consider(start.Add(p.set.stall-(p.waited-p.lastByte)), causeStall)
	}
	if p.set.rate > 0 {
		left := p.set.window - (p.waited - p.winStart)
		if p.winRead >= p.winNeed {
			// This window is settled; the next one must bring its due
			// by its own end.
			left += p.set.window
		}
		consider(start.Add(left), causeWindow)
	}
	if !p.ctxDeadline.IsZero() {
		consider(p.ctxDeadline, causeCtx)
	}
	if !p.srvDeadline.IsZero() {
		consider(p.srvDeadline, causeServer)
	}
	return d, c
}

// rollLocked advances the windows to the wait-clock time at, checking
// each window that ended by then, and reports whether one fell short.
// Bytes arriving at at belong to the window that is current afterwards.
func (p *progressReader) rollLocked(at time.Duration) bool {
	if p.set.rate == 0 {
		return false
	}
	elapsed := at - p.winStart
	if elapsed < p.set.window {
		return false
	}
	if p.winRead < p.winNeed {
		return true
	}
	k := elapsed / p.set.window
	p.winStart += k * p.set.window
	p.winRead = 0
	p.winNeed = p.needLocked()
	// With k >= 2, whole windows went by without a byte.
	return k >= 2 && p.winNeed > 0
}

// Read implements [io.Reader].
func (p *progressReader) Read(b []byte) (int, error) {
	p.mu.Lock()
	if p.err != nil {
		err := p.err
		p.mu.Unlock()
		return 0, err
	}
	if p.eof {
		p.mu.Unlock()
		return p.body.Read(b)
	}
	if err := p.ctx.Err(); err != nil {
		p.mu.Unlock()
		return 0, fmt.Errorf("limits: reading request body: %w", err)
	}
	start := p.now()
	deadline, why := p.deadlineLocked(start)
	rc := p.rc
	p.inRead = true
	p.mu.Unlock()

	if rc != nil && errors.Is(rc.SetReadDeadline(deadline), http.ErrNotSupported) {
		rc = nil
	}
	n, err := p.body.Read(b)
	end := p.now()

	p.mu.Lock()
	defer p.mu.Unlock()
	p.inRead = false
	if rc == nil {
		p.rc = nil
	}
	p.waited += max(end.Sub(start), 0)

	slow := p.rollLocked(p.waited)
	stalled := false
	if n > 0 {
		p.total += int64(n)
		p.winRead += int64(n)
		p.lastByte = p.waited
	} else if p.set.stall > 0 && p.waited-p.lastByte >= p.set.stall {
		stalled = true
	}
	if err != nil && !slow && !stalled && isTimeout(err) {
		switch why {
		case causeStall:
			stalled = true
		case causeWindow:
			slow = true
		case causeCtx:
			err = fmt.Errorf("limits: reading request body: %w", context.DeadlineExceeded)
		}
	}
	if slow || stalled {
		return n, p.failLocked(stalled)
	}
	if err == io.EOF {
		// From here on no deadline of ours is set: on HTTP/1.x net/http
		// now reads the connection in the background, and a deadline
		// firing there would cancel the context of every later request
		// on the connection.
		p.eof = true
	}
	if p.h2 && rc != nil {
		// An HTTP/2 read deadline is a timer that closes the body when
		// it fires, even between reads; only reads are to be bounded.
		// (An HTTP/1.x deadline only cuts reads, and net/http clears it
		// when the body ends.)
		_ = rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// failLocked makes the body fail for good with a [*SlowBodyError].
func (p *progressReader) failLocked(stalled bool) error {
	err := &SlowBodyError{
		Stalled: stalled,
		Read:    p.total,
		Elapsed: p.waited,
		MinRate: p.set.rate,
		Window:  p.set.window,
	}
	p.err = err
	p.g.trip(http.StatusRequestTimeout, CodeBodyTooSlow, "the request body arrived too slowly: "+err.reason(), err)
	if p.rc != nil {
		_ = p.rc.SetReadDeadline(longAgo)
	}
	return err
}

// Close implements [io.Closer].
func (p *progressReader) Close() error { return p.body.Close() }

// committed is the guard's commit hook on HTTP/1.x. When net/http writes
// the response header of a request whose body is unfinished, it first
// reads and discards the rest of the body (up to 256 KiB) to keep the
// connection: give that read the deadline a read of the handler's would
// get, so a dripping client cannot hold the handler's write.
func (p *progressReader) committed() {
	p.mu.Lock()
	if p.eof || p.err != nil || p.inRead || p.rc == nil {
		p.mu.Unlock()
		return
	}
	deadline, _ := p.deadlineLocked(p.now())
	rc := p.rc
	p.mu.Unlock()
	_ = rc.SetReadDeadline(deadline)
}

// finish runs after the handler: a body it left unfinished is not to be
// read any more, so net/http's post-handler discard fails at once instead
// of waiting on the client.
func (p *progressReader) finish() {
	p.mu.Lock()
	act := !p.eof && p.err == nil && p.rc != nil
	rc := p.rc
	p.mu.Unlock()
	if act && p.g.ownsConn() {
		_ = rc.SetReadDeadline(longAgo)
	}
}

// isTimeout reports whether err is a deadline expiring: a [net.Error]
// timeout on HTTP/1.x, [os.ErrDeadlineExceeded] on HTTP/2. A nil err and
// io.EOF return at once, without allocating the target errors.As needs:
// the connection's writes ask on every call, a body's reads at its end.
func isTimeout(err error) bool {
	if err == nil || err == io.EOF {
		return false
	}
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
