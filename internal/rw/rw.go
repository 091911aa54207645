// Package rw holds what every harden ResponseWriter wrapper (the access
// log's recorder, the handler timeout's writer, the body guards) forwards
// beyond http.ResponseWriter, so that wrapping costs the handler nothing
// net/http offers: Flush and FlushError, Hijack and Unwrap go through
// http.ResponseController, and io.ReaderFrom, which net/http's HTTP/1
// ResponseWriter implements with sendfile(2) for files (io.Copy(w, f),
// http.ServeContent), goes through [ReadFrom].
package rw

import (
	"io"
	"net/http"
)

// ReadFrom copies src to w through w's own ReadFrom when it has one, so
// that a file reaches the socket by sendfile, and through w.Write
// otherwise.
func ReadFrom(w http.ResponseWriter, src io.Reader) (int64, error) {
	if rf, ok := w.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{w}, src)
}

// writerOnly hides every method of w but Write, so that io.Copy does not
// come back to a ReadFrom.
type writerOnly struct{ io.Writer }
