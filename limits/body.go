package limits

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/reqcopy"
)

// DefaultMaxBodyBytes is the body limit of httpx's server and
// middleware's Default when theirs is zero: 1MiB, nginx's
// client_max_body_size default.
const DefaultMaxBodyBytes = 1 * harden.MiB

// CodeBodyTooLarge is the code member of the problem answer (413 Content
// Too Large) that [Body] writes for a body above its limit.
const CodeBodyTooLarge = "body_too_large"

// Body returns middleware that limits request bodies to max bytes. A
// declared Content-Length above max is refused at the handler's first
// read, before any body byte is read; a body of undeclared length is cut
// off at max. Either read returns a [*http.MaxBytesError], and a handler
// that has not yet committed to a response has it replaced by a 413
// application/problem+json answer (code [CodeBodyTooLarge]).
//
// max < 0 means no limit; max == 0 allows only empty bodies. Requests
// without a body pass untouched. Under nested Body middlewares the
// innermost decides, so a route can loosen or tighten a server-wide limit
// ("Body limits" in the package documentation). The middleware is safe
// for concurrent use and starts no goroutine.
func Body(max harden.Bytes) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			if l, ok := r.Context().Value(limitKey{}).(*limit); ok {
				// A Body further out limits this request already: the
				// one nearer the handler decides.
				l.set(int64(max))
				next.ServeHTTP(w, r)
				return
			}
			if max < 0 {
				next.ServeHTTP(w, r)
				return
			}
			// One allocation for what the request needs: the limit, the
			// guard, the body and the request copy.
			st := &bodyState{}
			st.body.l.max = int64(max)
			g := &st.g
			g.init(w, r, st.values[:0])
			// The original w, not the guard, goes to MaxBytesReader, so
			// that net/http's own response learns that the limit was hit
			// and does not try to reuse the connection.
			st.body.src, st.body.declared, st.body.g, st.body.w = r.Body, r.ContentLength, g, w
			reqcopy.Into(&st.r, r, context.WithValue(r.Context(), limitKey{}, &st.body.l), &st.body)
			reqcopy.Serve(next, g, r, &st.r)
			g.finish()
			if g.hasTripped() && g.ownsConn() {
				// What follows the limit is never read: make net/http's
				// post-handler discard fail at once, closing the
				// connection, even when w is wrapped. Without it a client
				// that declares a short body and never sends it would
				// hold the connection despite Connection: close.
				_ = http.NewResponseController(w).SetReadDeadline(longAgo)
			}
		})
	}
}

// bodyState is what [Body] keeps for a request with a body.
type bodyState struct {
	g      guard
	values snapValues // for g's snapshot
	body   limitedBody
	r      http.Request // the copy handed to the next handler
}

// limitKey is the context key under which the outermost Body leaves the
// request's limit for the ones nearer the handler.
type limitKey struct{}

// limit is the body limit of one request, shared by nested Body
// middlewares until the first read fixes it.
type limit struct {
	mu    sync.Mutex
	max   int64
	fixed bool
}

func (l *limit) set(max int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.fixed {
		l.max = max
	}
}

func (l *limit) fix() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fixed = true
	return l.max
}

// limitedBody applies the limit at the first read, after every nested Body
// has had its say, and trips its guard when the limit is hit.
type limitedBody struct {
	src      io.ReadCloser
	declared int64 // Content-Length, or -1
	l        limit // the request's limit, which nested Body middlewares set
	g        *guard
	w        http.ResponseWriter

	rc io.ReadCloser // set by the first Read
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.rc == nil {
		switch max := b.l.fix(); {
		case max < 0:
			b.rc = b.src
		case b.declared > max:
			err := &http.MaxBytesError{Limit: max}
			b.g.trip(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
				fmt.Sprintf("the request declares a body of %d bytes; the limit is %d bytes", b.declared, max), err)
			b.rc = failedBody{b.src, err}
		default:
			b.rc = http.MaxBytesReader(b.w, b.src, max)
		}
	}
	n, err := b.rc.Read(p)
	if err == nil || err == io.EOF {
		return n, err // without the allocation of errors.As's target
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.g.trip(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
			fmt.Sprintf("the request body is larger than the limit of %d bytes", tooLarge.Limit), err)
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.src.Close() }

// failedBody is a body refused before any byte of it was read.
type failedBody struct {
	io.Closer
	err error
}

func (f failedBody) Read([]byte) (int, error) { return 0, f.err }
