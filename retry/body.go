package retry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// replay produces the body of each attempt of one request. The first
// attempt gets the caller's body, at once: when the request has no GetBody
// and may fit in MaxReplayBytes, through a [teeBody] that keeps a copy of
// what the attempt reads. Later attempts get a fresh body from GetBody or
// that copy. A request whose body cannot be reproduced whole, at the
// caller's ContentLength, is not replayable and gets exactly one attempt,
// so a retry never sends an empty, truncated or resized body.
type replay struct {
	orig    io.ReadCloser
	getBody func() (io.ReadCloser, error)
	length  int64 // the caller's ContentLength; 0 with a body: unknown
	limit   int64

	tee      *teeBody // the first attempt's body until settle or release
	buf      []byte
	buffered bool // buf holds the whole body
	used     bool // the original body has been handed to an attempt
}

// newReplay prepares req's body for up to several attempts, keeping at
// most limit bytes of it when req has no GetBody. It reads nothing.
func newReplay(req *http.Request, limit int64) replay {
	return replay{orig: req.Body, getBody: req.GetBody, length: req.ContentLength, limit: limit}
}

// getBodyFunc returns a GetBody for attempts with a buffered body, so that
// net/http can rewind it for its own internal resends.
func (r *replay) getBodyFunc() func() (io.ReadCloser, error) {
	buf := r.buf
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
}

// canReplay reports whether another attempt can get the same body. Call
// settle first.
func (r *replay) canReplay() bool {
	return r.orig == nil || r.orig == http.NoBody || r.getBody != nil || r.buffered
}

// next returns the body for the next attempt.
func (r *replay) next() (io.ReadCloser, error) {
	switch {
	case r.orig == nil || r.orig == http.NoBody:
		return r.orig, nil
	case r.buffered:
		if len(r.buf) == 0 {
			return http.NoBody, nil
		}
		return io.NopCloser(bytes.NewReader(r.buf)), nil
	case !r.used:
		r.used = true
		if r.getBody == nil && r.limit > 0 && r.length <= r.limit {
			r.tee = &teeBody{orig: r.orig, limit: r.limit}
			return r.tee, nil
		}
		return r.orig, nil
	case r.getBody != nil:
		return r.getBody()
	}
	return nil, errNoReplay
}

// settle decides, once the first attempt is over and is to be resent,
// whether its body can be replayed: the attempt read at most limit bytes,
// and the rest, read now within ctx, completes the body within limit at
// the caller's ContentLength. The caller's body is closed.
func (r *replay) settle(ctx context.Context) {
	t := r.tee
	if t == nil {
		return
	}
	r.tee = nil
	if buf, ok := t.takeBack(ctx, r.length); ok {
		r.buf, r.buffered = buf, true
	}
}

// takeBack takes t back from the attempt and reports whether its copy is
// the whole body, at the caller's ContentLength, length, if one was
// given.
func (t *teeBody) takeBack(ctx context.Context, length int64) ([]byte, bool) {
	buf, whole := t.takeOver(ctx)
	return buf, whole && (length <= 0 || int64(len(buf)) == length)
}

// teeGetBody returns a GetBody for the first attempt's body when it is a
// [teeBody], so that net/http's own resends (of a stream refused by an
// HTTP/2 server, of a request on a connection the server had closed)
// work as they do for a rewindable body; nil otherwise. Once called, the
// attempt reads no more of the original body.
func (r *replay) teeGetBody(ctx context.Context) func() (io.ReadCloser, error) {
	t, length := r.tee, r.length
	if t == nil {
		return nil
	}
	return func() (io.ReadCloser, error) {
		buf, ok := t.takeBack(ctx, length)
		if !ok {
			return nil, errNoReplay
		}
		return io.NopCloser(bytes.NewReader(buf)), nil
	}
}

// watch closes the first attempt's body when ctx, the attempt's, ends
// while the base RoundTripper has it, until unwatch. A read blocked on a
// producer with nothing to send then returns: net/http's HTTP/1 transport
// does not return from a cancelled RoundTrip until its body write does.
func (r *replay) watch(ctx context.Context) {
	if t := r.tee; t != nil && t.unwatch == nil {
		t.unwatch = context.AfterFunc(ctx, t.closeOrig)
	}
}

// unwatch ends watch once the base RoundTripper has returned; the
// Transport itself then ends the attempt's context without losing the
// body.
func (r *replay) unwatch() {
	if t := r.tee; t != nil && t.unwatch != nil {
		t.unwatch()
	}
}

// release hands the first attempt's body to the base RoundTripper for
// good, when that attempt's outcome is returned to the caller.
func (r *replay) release() {
	if r.tee != nil {
		r.tee.release()
		r.tee = nil
	}
}

// close closes the caller's body if no attempt took ownership of it.
func (r *replay) close() {
	if !r.used && r.orig != nil && r.orig != http.NoBody {
		r.used = true
		r.orig.Close()
	}
}

// errBodyTaken ends an attempt's reads of a body that the Transport has
// taken back to resend it.
var errBodyTaken = errors.New("retry: request body taken back for another attempt")

// teeBody is the first attempt's body: it reads the caller's body and
// keeps a copy of up to limit bytes. While the attempt's outcome is
// undecided, a Close from the base RoundTripper is deferred, so that the
// Transport can still read the rest of the body to resend it (net/http's
// HTTP/2 transport closes the body of a refused stream it did not finish
// writing); the Transport then either takes the body back (takeOver) or
// releases it, carrying out a deferred Close.
type teeBody struct {
	orig    io.ReadCloser
	limit   int64
	unwatch func() bool // set by replay.watch

	readMu sync.Mutex // held through each read of orig
	buf    []byte
	over   bool // more than limit bytes were read
	eof    bool
	failed bool // a read ended in an error other than io.EOF

	mu         sync.Mutex // never held through a read
	state      teeState
	closeAsked bool // Close was called while undecided
	closed     bool // orig is closed
}

type teeState int

const (
	teeUndecided teeState = iota
	teeReleased           // the base RoundTripper owns the body
	teeTaken              // the Transport owns the body
)

func (t *teeBody) Read(p []byte) (int, error) {
	if t.taken() {
		return 0, errBodyTaken
	}
	t.readMu.Lock()
	defer t.readMu.Unlock()
	if t.taken() {
		return 0, errBodyTaken
	}
	n, err := t.orig.Read(p)
	t.record(p[:n], err)
	return n, err
}

// record keeps what a read returned; readMu is held.
func (t *teeBody) record(p []byte, err error) {
	if !t.over {
		if int64(len(t.buf)+len(p)) > t.limit {
			t.over, t.buf = true, nil
		} else {
			t.buf = append(t.buf, p...)
		}
	}
	switch {
	case err == io.EOF:
		t.eof = true
	case err != nil:
		t.failed = true
	}
}

func (t *teeBody) taken() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state == teeTaken
}

func (t *teeBody) Close() error {
	t.mu.Lock()
	switch t.state {
	case teeUndecided:
		t.closeAsked = true
		t.mu.Unlock()
		return nil
	case teeTaken:
		t.mu.Unlock()
		return nil
	}
	t.mu.Unlock()
	t.closeOrig()
	return nil
}

func (t *teeBody) closeOrig() {
	t.mu.Lock()
	done := t.closed
	t.closed = true
	t.mu.Unlock()
	if !done {
		t.orig.Close()
	}
}

func (t *teeBody) release() {
	t.mu.Lock()
	if t.state != teeUndecided {
		t.mu.Unlock()
		return
	}
	t.state = teeReleased
	asked := t.closeAsked
	t.mu.Unlock()
	if asked {
		t.closeOrig()
	}
}

// takeOver ends the attempt's reads, waiting for one in flight, reads the
// rest of the body up to limit+1 bytes in all, and closes it. When ctx
// ends first the body is closed, which ends a read blocked on it. It
// returns the copy and whether it is the whole body. Calling it again
// returns the same.
func (t *teeBody) takeOver(ctx context.Context) ([]byte, bool) {
	t.mu.Lock()
	t.state = teeTaken
	t.mu.Unlock()
	defer t.closeOrig()
	stop := context.AfterFunc(ctx, t.closeOrig)
	defer stop()

	t.readMu.Lock()
	defer t.readMu.Unlock()
	if !t.over && !t.eof && !t.failed {
		var p [512]byte
		for !t.over && !t.eof && !t.failed {
			n, err := t.orig.Read(p[:])
			t.record(p[:n], err)
		}
	}
	return t.buf, t.eof && !t.over && !t.failed
}
