package limits

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/harden-go/harden/internal/problem"
	hrw "github.com/harden-go/harden/internal/rw"
)

// longAgo is a read deadline in the past: setting it makes every pending
// and later read on the connection fail at once.
var longAgo = time.Unix(1, 0)

// guard is the ResponseWriter that [Body] and [Progress] hand to the next
// handler. Once the guard's defence trips (the body grew past the limit,
// or arrived too slowly), the guard owns the answer: a handler that has
// not yet committed to a response gets its next WriteHeader, Write or
// Flush replaced by the guard's problem answer, and a handler that writes
// nothing is answered for when it returns. A handler that committed before
// the trip keeps its response: a status line on the wire cannot be taken
// back.
//
// The answer carries the headers that were set before the handler ran
// (request ID, CORS, ...) but none of the handler's own, which were meant
// for another response (Cache-Control on a 413 would let a cache keep the
// refusal).
//
// The guard's state is guarded by mu; writes to the underlying
// ResponseWriter happen outside it.
type guard struct {
	http.ResponseWriter
	req  *http.Request
	snap http.Header // headers before the handler ran

	// onCommit, when set, is told once, when the handler first commits
	// to a response of its own.
	onCommit committer

	mu        sync.Mutex
	committed bool // a final status is on its way (the handler's or ours)
	answered  bool // the guard wrote its own answer
	hijacked  bool // the connection belongs to the handler
	tripped   bool
	sent      int // the status the handler committed to
	status    int
	code      string
	detail    string
	err       error // returned to the handler's writes after the answer
}

var (
	_ http.ResponseWriter = (*guard)(nil)
	_ http.Flusher        = (*guard)(nil)
	_ http.Hijacker       = (*guard)(nil)
	_ io.ReaderFrom       = (*guard)(nil)
)

// committer is told when the handler first commits to a response.
type committer interface{ committed() }

// init sets up g, which the caller allocates with whatever else its
// request needs, to guard w for r; the values of the headers already set
// go into values while it has room.
func (g *guard) init(w http.ResponseWriter, r *http.Request, values []string) {
	g.ResponseWriter, g.req, g.snap = w, r, hrw.CloneHeader(w.Header(), values)
}

// snapValues is room for the values of the headers set in front of a
// body guard: a request ID's and one or two more.
type snapValues [3]string

// trip records that the defence failed with err and how to answer for
// it. Only the first trip counts.
func (g *guard) trip(status int, code, detail string, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tripped {
		return
	}
	g.tripped, g.status, g.code, g.detail, g.err = true, status, code, detail, err
}

func (g *guard) hasTripped() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tripped
}

// action is what becomes of one of the handler's writes.
type action int

const (
	pass   action = iota // write through
	answer               // write the guard's answer instead
	drop                 // the guard has answered: discard
)

// commit decides the fate of a write; final reports whether the write
// commits a response (anything but an informational 1xx header). first
// reports the handler's first commit.
func (g *guard) commit(final bool) (act action, first bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.answered:
		return drop, false
	case g.committed:
		return pass, false
	case g.tripped:
		g.committed, g.answered = true, true
		return answer, false
	case final:
		g.committed = true
		return pass, true
	}
	return pass, false
}

// noteSent records the status of the handler's first commit.
func (g *guard) noteSent(status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sent = status
}

// sentStatus returns the status the handler committed to, 0 if none.
func (g *guard) sentStatus() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sent
}

// pass runs the commit hook on the handler's first commit.
func (g *guard) pass(first bool) {
	if first && g.onCommit != nil {
		g.onCommit.committed()
	}
}

// WriteHeader implements [http.ResponseWriter].
func (g *guard) WriteHeader(code int) {
	act, first := g.commit(code >= 200 || code == http.StatusSwitchingProtocols)
	switch act {
	case answer:
		g.writeAnswer()
		return
	case drop:
		return
	}
	if first {
		g.noteSent(code)
	}
	g.pass(first)
	g.ResponseWriter.WriteHeader(code)
}

// Write implements [http.ResponseWriter]. After the guard has answered,
// Write discards p and returns the error that tripped the guard, so the
// handler learns why its response went nowhere.
func (g *guard) Write(p []byte) (int, error) {
	if !g.mayWrite() {
		return 0, g.err
	}
	return g.ResponseWriter.Write(p)
}

// mayWrite decides the fate of a body write: false when the guard
// answered instead (now or before), true when the write goes through.
func (g *guard) mayWrite() bool {
	act, first := g.commit(true)
	switch act {
	case answer:
		g.writeAnswer()
		return false
	case drop:
		return false
	}
	if first {
		g.noteSent(http.StatusOK)
	}
	g.pass(first)
	return true
}

// ReadFrom implements [io.ReaderFrom] as Write does, copying by sendfile
// when src is a file.
func (g *guard) ReadFrom(src io.Reader) (int64, error) {
	if !g.mayWrite() {
		return 0, g.err
	}
	return hrw.ReadFrom(g.ResponseWriter, src)
}

// Flush implements [http.Flusher].
func (g *guard) Flush() { _ = g.FlushError() }

// FlushError flushes like Flush and reports the error;
// [http.ResponseController] prefers it to Flush. Flushing commits the
// response, so a tripped guard answers first.
func (g *guard) FlushError() error {
	act, first := g.commit(true)
	switch act {
	case answer:
		g.writeAnswer()
	case pass:
		if first {
			g.noteSent(http.StatusOK)
		}
		g.pass(first)
	}
	return http.NewResponseController(g.ResponseWriter).Flush()
}

// Unwrap returns the ResponseWriter the guard wraps, for
// [http.ResponseController].
func (g *guard) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// Hijack implements [http.Hijacker] when the connection allows it. Once
// the handler owns the connection, the guard never writes to it nor
// changes its deadlines, even after the handler returns.
func (g *guard) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(g.ResponseWriter).Hijack()
	if err == nil {
		g.mu.Lock()
		g.hijacked, g.committed = true, true
		g.mu.Unlock()
	}
	return c, brw, err
}

// ownsConn reports whether the connection is still net/http's, not
// hijacked by the handler.
func (g *guard) ownsConn() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.hijacked
}

// finish answers for a tripped guard whose handler returned without
// committing. It must be called after the handler returns.
func (g *guard) finish() {
	g.mu.Lock()
	act := g.tripped && !g.committed
	if act {
		g.committed, g.answered = true, true
	}
	g.mu.Unlock()
	if act {
		g.writeAnswer()
	}
}

// writeAnswer writes the guard's problem answer with the headers from
// before the handler ran. On HTTP/1.x it asks for the connection to be
// closed: the rest of the body is unread or untrusted, and must not be
// parsed as the next request (RFC 9110 section 15.5.9 asks the same of a
// 408). On HTTP/2 the stream is reset when the handler returns and the
// connection stays usable; Connection: close there would make net/http
// send GOAWAY and move the client's other streams to a new connection.
func (g *guard) writeAnswer() {
	h := g.ResponseWriter.Header()
	for k := range h {
		if _, ok := g.snap[k]; !ok {
			delete(h, k)
		}
	}
	for k, v := range g.snap {
		h[k] = v
	}
	if g.req.ProtoMajor == 1 {
		h.Set("Connection", "close")
	}
	problem.Write(g.ResponseWriter, g.req, g.status, g.code, g.detail)
}
