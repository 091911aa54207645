package retry

import (
	"bytes"
	"io"
	"net/http"
)

// replay produces the body of each attempt of one request. The first
// attempt gets the caller's body (or a buffered copy); later attempts get
// a fresh body from GetBody or the buffer. A request whose body cannot be
// reproduced is not replayable and gets exactly one attempt, so a retry
// never sends an empty or truncated body.
type replay struct {
	orig     io.ReadCloser
	getBody  func() (io.ReadCloser, error)
	buf      []byte
	buffered bool
	stream   io.ReadCloser // first attempt's body when it was partly buffered
	used     bool          // the original body has been handed to an attempt
}

// newReplay prepares req's body for up to several attempts, buffering at
// most limit bytes when req has no GetBody. A read error while buffering
// is returned with the body closed.
func newReplay(req *http.Request, limit int64) (replay, error) {
	r := replay{orig: req.Body, getBody: req.GetBody}
	if req.Body == nil || req.Body == http.NoBody || r.getBody != nil {
		return r, nil
	}
	if limit <= 0 || req.ContentLength > limit {
		return r, nil
	}
	// Read one byte past the limit to learn whether the body fits.
	n := limit + 1
	if req.ContentLength > 0 {
		n = req.ContentLength + 1
	}
	buf := make([]byte, 0, min(n, 512))
	buf, err := readAtMost(req.Body, buf, n)
	if err != nil {
		req.Body.Close()
		return replay{}, err
	}
	if int64(len(buf)) <= limit {
		req.Body.Close()
		r.buf, r.buffered = buf, true
		return r, nil
	}
	// Too large: the attempt streams what was read and then the rest.
	r.stream = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
	return r, nil
}

// readAtMost appends up to n bytes of r to buf.
func readAtMost(r io.Reader, buf []byte, n int64) ([]byte, error) {
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := min(int64(cap(buf)), n) - int64(len(buf))
		m, err := r.Read(buf[len(buf) : int64(len(buf))+room])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// getBodyFunc returns a GetBody for attempts with a buffered body, so that
// net/http can rewind it for its own internal resends.
func (r *replay) getBodyFunc() func() (io.ReadCloser, error) {
	buf := r.buf
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
}

// canReplay reports whether another attempt can get the same body.
func (r *replay) canReplay() bool {
	return r.orig == nil || r.orig == http.NoBody || r.getBody != nil || r.buffered
}

// next returns the body for the next attempt, and whether it is the
// caller's original body (which the base RoundTripper will close).
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
		if r.stream != nil {
			return r.stream, nil
		}
		return r.orig, nil
	case r.getBody != nil:
		return r.getBody()
	}
	return nil, errNoReplay
}

// close closes the caller's body if no attempt took ownership of it.
func (r *replay) close() {
	if !r.used && !r.buffered && r.orig != nil && r.orig != http.NoBody {
		r.used = true
		r.orig.Close()
	}
}
