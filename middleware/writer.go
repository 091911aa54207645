package middleware

import (
	"bufio"
	"io"
	"net"
	"net/http"

	hrw "github.com/harden-go/harden/internal/rw"
)

// recorder is the ResponseWriter that [AccessLog] and [Recover] hand to
// the next handler: it passes everything through and notes the status,
// the body bytes and whether the answer is committed. It implements
// [http.Flusher], [http.Hijacker] and [io.ReaderFrom] itself, so that
// flushes, hijacks and copies are seen, and Unwrap, so that [http.ResponseController] reaches the
// connection for SetReadDeadline, SetWriteDeadline and EnableFullDuplex.
//
// It is used by one request at a time. A guard below it may write from a
// goroutine of its own (the handler timeout's deadline callback), but the
// layers below order those writes with the handler's and finish them
// before they return, so the recorder needs no lock.
type recorder struct {
	http.ResponseWriter
	status   int   // the final status; 0 until committed
	bytes    int64 // body bytes written
	hijacked bool
}

var (
	_ http.ResponseWriter = (*recorder)(nil)
	_ http.Flusher        = (*recorder)(nil)
	_ http.Hijacker       = (*recorder)(nil)
	_ io.ReaderFrom       = (*recorder)(nil)
)

// recorder returns w when it is a recorder already, so that layers
// stacked directly (AccessLog around Recover) share one, else a
// recorder around w: the one st holds, the first time, a new one after.
func (st *state) recorder(w http.ResponseWriter) *recorder {
	if rw, ok := w.(*recorder); ok {
		return rw
	}
	if st != nil && st.rec.ResponseWriter == nil {
		st.rec.ResponseWriter = w
		return &st.rec
	}
	return &recorder{ResponseWriter: w}
}

// committed reports whether a final answer has begun: a status, a body
// byte or a flush went out, or the connection was hijacked.
func (rw *recorder) committed() bool { return rw.status != 0 || rw.hijacked }

// WriteHeader implements [http.ResponseWriter]. Informational 1xx
// answers (103 Early Hints) do not commit the answer.
func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

// Write implements [http.ResponseWriter].
func (rw *recorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// ReadFrom implements [io.ReaderFrom], so that a file the handler copies
// still reaches the socket by sendfile.
func (rw *recorder) ReadFrom(src io.Reader) (int64, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := hrw.ReadFrom(rw.ResponseWriter, src)
	rw.bytes += n
	return n, err
}

// Flush implements [http.Flusher].
func (rw *recorder) Flush() { _ = rw.FlushError() }

// FlushError is Flush reporting failure, for [http.ResponseController].
func (rw *recorder) FlushError() error {
	if rw.status == 0 {
		rw.status = http.StatusOK // flushing sends the header
	}
	return http.NewResponseController(rw.ResponseWriter).Flush()
}

// Hijack implements [http.Hijacker].
func (rw *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(rw.ResponseWriter).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return c, brw, err
}

// Unwrap returns the wrapped ResponseWriter, for
// [http.ResponseController].
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }
