// Package problem writes the answers harden gives on its own behalf (413,
// 431, 503, ...) as RFC 9457 problem details, so a client can tell a
// guard's refusal from the application's answer and quote the request ID.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/harden-go/harden/internal/reqid"
)

// ContentType is the media type of RFC 9457 section 3.
const ContentType = "application/problem+json"

// Details is the body of a problem answer. Type stays "about:blank" (RFC
// 9457 section 4.2.1), so Title is the status phrase; Code is a stable
// extension member naming the harden guard that answered.
type Details struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Detail    string `json:"detail,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// New returns the details for status, code and detail, with the request ID
// carried by r's context.
func New(r *http.Request, status int, code, detail string) Details {
	d := Details{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
	if r != nil {
		d.RequestID = reqid.From(r.Context())
	}
	return d
}

// Write writes a complete problem answer to w: status, content type, an
// explicit Content-Length (so the answer is whole even when the handler
// goes on running) and the JSON body. Headers the caller set before, such
// as Connection: close, are kept. The code is recorded in the [Answered]
// that r's context carries, if any, and an HTTP/1.x request with a body
// marks the [Conn] it carries.
func Write(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	body, _ := json.Marshal(New(r, status, code, detail)) // cannot fail: strings and ints only
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Encoding")
	h.Del("ETag")
	h.Del("Last-Modified")
	record(r, code)
	markRefused(r)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
