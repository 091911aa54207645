package retry

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// peekLimit bounds how much of a 403 body is read for an expired-session
// error code: enough for any S3-style XML or JSON error envelope, little
// enough that an attacker-sized body costs nothing.
const peekLimit = 4 << 10

// peekWait bounds how long the classifier waits for that prefix. A server
// writes its error envelope with the headers, so it arrives at once; the
// bound only matters for a body held open, which must not hold the
// request. 100ms leaves room for a loaded client to read bytes already
// sent and is small beside any client timeout.
const peekWait = 100 * time.Millisecond

// expiredCodes are the error codes that mean the session credentials
// expired: S3's and STS's ExpiredToken, S3's TokenRefreshRequired.
var expiredCodes = []string{"ExpiredToken", "TokenRefreshRequired"}

func isExpiredCode(s string) bool {
	for _, c := range expiredCodes {
		if s == c {
			return true
		}
	}
	return false
}

func expiredSession(resp *http.Response) bool {
	if bearerError(resp.Header.Values("WWW-Authenticate")) == "invalid_token" {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(resp.Header.Get("X-Session-Status")), "expired") {
		return true
	}
	return expiredCode(peekBody(resp))
}

// expiredCode reports whether body is an error envelope whose code is an
// expired-session code: an XML <Code> element or a JSON "code" or "error"
// member (in any object) whose whole value is the code. The code appearing
// anywhere else, as in a message echoing the caller's input, does not
// count.
func expiredCode(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(body) == 0:
		return false
	case body[0] == '<':
		return xmlCode(body)
	case body[0] == '{':
		return jsonCode(body)
	}
	return false
}

func xmlCode(body []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(body))
	var inCode bool
	var text []byte
	for {
		tok, err := d.RawToken()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inCode, text = t.Name.Local == "Code", text[:0]
		case xml.CharData:
			if inCode {
				text = append(text, t...)
			}
		case xml.EndElement:
			if inCode && t.Name.Local == "Code" && isExpiredCode(strings.TrimSpace(string(text))) {
				return true
			}
			inCode = false
		}
	}
}

func jsonCode(body []byte) bool {
	type frame struct {
		object, wantKey bool
		key             string
	}
	d := json.NewDecoder(bytes.NewReader(body))
	var stack []frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				stack[n-1].key, stack[n-1].wantKey = k, false
				continue
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && isCodeMember(stack[n-1].key) && isExpiredCode(t) {
				return true
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

func isCodeMember(key string) bool {
	return strings.EqualFold(key, "code") || strings.EqualFold(key, "error")
}

// peekBody reads at most peekLimit bytes of resp.Body, waiting at most
// peekWait, and puts them back in front of the rest: resp.Body becomes a
// [peekedBody]. When the length is known it stops one byte short of the
// end: reading the last byte hands the connection back to the pool, and a
// connection that carried an auth failure must not be reused.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	n := int64(peekLimit)
	if resp.ContentLength >= 0 && resp.ContentLength <= n {
		n = resp.ContentLength - 1
	}
	if n <= 0 {
		return nil
	}
	p := &peekedBody{body: resp.Body, done: make(chan struct{})}
	go p.fill(make([]byte, n))
	timer := time.NewTimer(peekWait)
	select {
	case <-p.done:
	case <-timer.C:
	}
	timer.Stop()
	resp.Body = p
	return p.prefix()
}

// peekedBody is a response body whose first bytes a goroutine reads ahead,
// for the classifier; its Read returns them, then the rest. The goroutine
// ends when its reads do: once the prefix is read, or the body ends, fails
// or is closed (which the owner of every response must do).
type peekedBody struct {
	body io.ReadCloser
	done chan struct{} // closed when fill returns: buf and err are final

	mu  sync.Mutex
	buf []byte // read ahead so far
	err error  // fill's read error, if any

	rest io.Reader // the caller's view, once done
}

func (p *peekedBody) fill(b []byte) {
	defer close(p.done)
	var got int
	for got < len(b) {
		n, err := p.body.Read(b[got:])
		got += n
		p.mu.Lock()
		p.buf, p.err = b[:got], err
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// prefix returns what has been read ahead so far.
func (p *peekedBody) prefix() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf
}

func (p *peekedBody) Read(b []byte) (int, error) {
	if p.rest == nil {
		<-p.done
		p.rest = io.MultiReader(bytes.NewReader(p.buf), errReader{p.err}, p.body)
	}
	return p.rest.Read(b)
}

func (p *peekedBody) Close() error { return p.body.Close() }

// errReader returns err from its first Read, or io.EOF (ending its part of
// a MultiReader) when err is nil or io.EOF.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err == nil || errors.Is(r.err, io.ErrUnexpectedEOF) || r.err == io.EOF {
		return 0, io.EOF
	}
	return 0, r.err
}
