package middleware

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/internal/reqcopy"
	hrw "github.com/harden-go/harden/internal/rw"
)

// CodeHandlerTimeout is the code member of the problem answer that
// [Timeout] writes when a handler overruns without having written
// anything. Clients and logs can rely on it to tell the server's own
// refusal from a 503 the application chose.
const CodeHandlerTimeout = "handler_timeout"

// errWriteAfterReturn is returned to a write that arrives after the
// handler has returned, from a goroutine it left behind; net/http would
// otherwise panic or write into a recycled buffer.
var errWriteAfterReturn = errors.New("middleware: write after the handler returned")

// Timeout returns middleware that gives each request at most d to be
// answered. The handler's context gets a deadline d from the start; when
// it passes and the handler has written nothing (1xx aside), the client
// is answered at once with 503 Service Unavailable as
// application/problem+json (code [CodeHandlerTimeout], carrying the
// request ID and none of the handler's headers). A handler that has written keeps its answer, and a request
// cancelled rather than timed out is not answered. d <= 0 returns the
// handler unchanged.
//
// After the answer, the handler's WriteHeader is ignored, Write returns
// [http.ErrHandlerTimeout], and body reads fail with an error wrapping
// [os.ErrDeadlineExceeded]. The response is not buffered; the
// ResponseWriter implements [http.Flusher], [http.Hijacker] and Unwrap
// for [http.ResponseController]. The middleware is safe for concurrent
// use. "Handler timeout" in the package documentation says why it works
// this way and what HTTP/1.x and HTTP/2 clients receive.
func Timeout(d time.Duration) func(http.Handler) http.Handler {
	if d <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	detail := "the handler did not answer within " + d.String()
	return func(next http.Handler) http.Handler {
		return &timeoutHandler{next: next, d: d, detail: detail}
	}
}

// timeoutHandler is the handler [Timeout] returns. It implements
// [hrw.StatusHandler], so that [limits.Concurrency] in front of it learns
// the answer's status from the timeout's writer and shares its clock
// read, instead of wrapping the writer once more.
type timeoutHandler struct {
	next   http.Handler
	d      time.Duration
	detail string
}

var _ hrw.StatusHandler = (*timeoutHandler)(nil)

func (h *timeoutHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.ServeStatus(w, r, time.Now())
}

// ServeStatus serves r with a deadline h.d from now and returns the
// status of the answer, the timeout's 503 included.
func (h *timeoutHandler) ServeStatus(w http.ResponseWriter, r *http.Request, now time.Time) (status int) {
	// The writer holds the handler's context and request copy too: one
	// allocation for the three.
	tw := &timeoutWriter{w: w, detail: h.detail}
	tw.h = hrw.CloneHeader(w.Header(), tw.values[:0])
	wait := tw.ctx.init(r.Context(), now, h.d)
	reqcopy.Into(&tw.r, r, &tw.ctx, nil)
	// One timer both ends the context and answers; see deadlineCtx.
	tw.expiring.Add(1)
	timer := time.AfterFunc(wait, tw.expire)
	defer func() {
		// The ResponseWriter must not be touched once ServeHTTP
		// returns: stop the answer, or wait for it if it has begun.
		if timer.Stop() {
			tw.expiring.Done()
		}
		tw.expiring.Wait()
		status = tw.finish()
		// Like context.WithTimeout's cancel: what the handler left
		// running sees its context end.
		tw.ctx.cancel(context.Canceled)
	}()
	reqcopy.Serve(h.next, tw, r, &tw.r)
	return status
}

// timeoutWriter is the ResponseWriter seen by a handler under [Timeout].
// mu orders the handler's writes against the timeout's answer; it is held
// across writes to w so that the two never interleave on the wire.
type timeoutWriter struct {
	w http.ResponseWriter
	h http.Header // the handler's header map; only the handler touches it
	// values backs the value h starts with when one header was set in
	// front of Timeout, the request ID's; one keeps the writer within
	// 512 bytes, an allocation size class.
	values [1]string
	// before is the wrapped header map as it was before the handler ran,
	// kept when a 1xx answer first copies the handler's headers into it,
	// so the 503 can go out without them. nil until then.
	before http.Header

	ctx    deadlineCtx  // the handler's context, with the deadline
	r      http.Request // the request handed to the handler, with ctx
	detail string

	// expiring is held from the start until expire has run or its
	// timer was stopped.
	expiring sync.WaitGroup

	mu          sync.Mutex
	wroteHeader bool // the handler committed to an answer (or hijacked)
	hijacked    bool
	timedOut    bool // the timeout answered; the handler's writes are dropped
	done        bool // ServeHTTP returned
	status      int  // the final status sent: the handler's or the 503
}

var (
	_ http.ResponseWriter = (*timeoutWriter)(nil)
	_ http.Flusher        = (*timeoutWriter)(nil)
	_ http.Hijacker       = (*timeoutWriter)(nil)
	_ io.ReaderFrom       = (*timeoutWriter)(nil)
)

// Header returns the handler's header map, a copy of the one it was
// given, so that setting headers never races with the timeout's answer.
func (tw *timeoutWriter) Header() http.Header { return tw.h }

// WriteHeader forwards code unless the timeout has answered.
func (tw *timeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.closedErr() != nil {
		return
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// 1xx answers (103 Early Hints) are sent at once with the headers
		// set so far and leave the final answer open.
		if tw.before == nil {
			tw.before = hrw.CloneHeader(tw.w.Header(), nil)
		}
		tw.syncHeader()
		tw.w.WriteHeader(code)
		return
	}
	if !tw.wroteHeader {
		tw.wroteHeader = true
		tw.status = code
		tw.syncHeader()
	}
	tw.w.WriteHeader(code) // a superfluous call is reported by net/http
}

// Write writes p to the client, or returns [http.ErrHandlerTimeout] once
// the timeout has answered.
func (tw *timeoutWriter) Write(p []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if err := tw.commitLocked(); err != nil {
		return 0, err
	}
	return tw.w.Write(p)
}

// ReadFrom copies src to the client, by sendfile when it is a file, or
// returns [http.ErrHandlerTimeout] once the timeout has answered.
func (tw *timeoutWriter) ReadFrom(src io.Reader) (int64, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if err := tw.commitLocked(); err != nil {
		return 0, err
	}
	return hrw.ReadFrom(tw.w, src)
}

// Flush sends buffered data to the client. After the timeout has answered
// it does nothing.
func (tw *timeoutWriter) Flush() { _ = tw.FlushError() }

// FlushError is Flush reporting failure; [http.ResponseController] calls
// it. It returns [http.ErrHandlerTimeout] once the timeout has answered.
func (tw *timeoutWriter) FlushError() error {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	// Flushing sends the status line and headers: the answer is
	// committed from here on.
	if err := tw.commitLocked(); err != nil {
		return err
	}
	return http.NewResponseController(tw.w).Flush()
}

// Hijack hands the connection to the handler. From then on the connection
// is no longer the server's, so the timeout neither answers on it nor
// sets its read deadline; net/http's HTTP/1 server panics when a hijacked
// response is flushed, and the read deadline would cut the handler's own
// protocol.
func (tw *timeoutWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if err := tw.closedErr(); err != nil {
		return nil, nil, err
	}
	c, rw, err := http.NewResponseController(tw.w).Hijack()
	if err == nil {
		tw.wroteHeader = true
		tw.hijacked = true
	}
	return c, rw, err
}

// Unwrap returns the ResponseWriter that Timeout wrapped, for
// [http.ResponseController].
func (tw *timeoutWriter) Unwrap() http.ResponseWriter { return tw.w }

// commitLocked readies a write, flush or copy of the handler's: it
// returns why the handler may no longer write, or commits the answer
// with the handler's headers. tw.mu is held.
func (tw *timeoutWriter) commitLocked() error {
	if err := tw.closedErr(); err != nil {
		return err
	}
	if !tw.wroteHeader {
		tw.wroteHeader = true
		tw.status = http.StatusOK
		tw.syncHeader()
	}
	return nil
}

// closedErr reports why the handler may no longer write. tw.mu is held.
// A handler that wakes on its context's deadline and writes at once can
// win the lock before the timer does; the deadline has passed all the
// same, so the timeout answers here and the write is dropped.
func (tw *timeoutWriter) closedErr() error {
	tw.answerIfExpired()
	switch {
	case tw.timedOut:
		return http.ErrHandlerTimeout
	case tw.done:
		return errWriteAfterReturn
	}
	return nil
}

// syncHeader makes the wrapped header map equal to the handler's. It runs
// with tw.mu held, from the handler's goroutine, and never after the
// timeout answered, so the wrapped map has one writer at a time.
func (tw *timeoutWriter) syncHeader() { setHeader(tw.w.Header(), tw.h) }

// setHeader makes dst equal to src, sharing src's value slices.
func setHeader(dst, src http.Header) {
	for k, vv := range src {
		dst[k] = vv
	}
	if len(dst) == len(src) {
		// dst holds every key of src and no other: nothing to delete.
		// This saves a pass over dst for a handler that deletes nothing.
		return
	}
	for k := range dst {
		if _, ok := src[k]; !ok {
			delete(dst, k)
		}
	}
}

// expire runs when the deadline passes: it ends the context, then
// answers. Only the deadline is the timeout's to answer: a request
// cancelled first means the client has gone or the server is closing.
func (tw *timeoutWriter) expire() {
	defer tw.expiring.Done()
	tw.ctx.expire()
	if errors.Is(tw.ctx.Err(), context.DeadlineExceeded) {
		tw.timeout()
	}
}

// timeout answers 503 unless the handler has committed to an answer. It
// runs on the timer's goroutine while ServeHTTP waits for it, so w is
// still valid.
func (tw *timeoutWriter) timeout() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.answer()
}

// answerIfExpired answers when the deadline has passed but the timer
// has not run yet. tw.mu is held.
func (tw *timeoutWriter) answerIfExpired() {
	if errors.Is(tw.ctx.Err(), context.DeadlineExceeded) {
		tw.answer()
	}
}

// answer writes the 503 unless the handler committed to an answer or
// returned, or the timeout already answered. tw.mu is held.
func (tw *timeoutWriter) answer() {
	if tw.wroteHeader || tw.done || tw.timedOut {
		return
	}
	tw.timedOut = true
	tw.status = http.StatusServiceUnavailable
	rc := http.NewResponseController(tw.w)
	// Release a handler blocked reading the body, before the answer: when
	// net/http's HTTP/1 server sends a status on a reused connection, it
	// first discards the rest of the body under the lock that a blocked
	// Read holds. ErrNotSupported (a ResponseWriter in front without
	// Unwrap) leaves the handler to notice its context.
	_ = rc.SetReadDeadline(time.Now())
	if tw.before != nil {
		// A 1xx answer copied the handler's headers (Cache-Control,
		// Set-Cookie, ...); they were meant for another answer.
		setHeader(tw.w.Header(), tw.before)
	}
	if tw.r.ProtoMajor == 1 {
		// The handler still owns the connection and may have left part
		// of the body unread: the client must not wait to reuse it.
		tw.w.Header().Set("Connection", "close")
	}
	problem.Write(tw.w, &tw.r, http.StatusServiceUnavailable, CodeHandlerTimeout, tw.detail)
	_ = rc.Flush() // fails only when the client has gone; nothing to do
}

// finish marks the writer done and returns the final status sent. Unless
// the timeout answered, it copies the handler's headers once more:
// trailer values set after the body, and headers of a handler that never
// wrote, are read by net/http from the wrapped map when ServeHTTP
// returns.
func (tw *timeoutWriter) finish() int {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	// A handler that returns without writing after the deadline, before
	// the timer ran (and was then stopped), still gets the 503.
	tw.answerIfExpired()
	tw.done = true
	if !tw.timedOut && !tw.hijacked {
		tw.syncHeader()
	}
	return tw.status
}
