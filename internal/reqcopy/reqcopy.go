// Package reqcopy is how harden's layers hand the next handler a copy of
// a request: a shallow copy with another context or body, and, once the
// handler returns, what it left on the copy handed back to the request the
// layer received, where net/http and the layers outside look for it:
//
//   - MultipartForm: net/http removes the temporary files of a parsed
//     multipart form only from the request it passed in, not from a copy
//     a middleware made (golang/go#58809), so every layer that hands on a
//     copy must hand the form back or leak the files.
//   - Pattern: a ServeMux sets it on the request it receives; the layers
//     outside read it to name the route in spans and access-log lines.
//
// A layer that hands the next handler a copy it did not make with [With]
// or [Into] (otelhttp's handler, a user's middleware) breaks the chain;
// the layer around it must hand back across it itself.
package reqcopy

import (
	"context"
	"io"
	"net/http"
)

// With returns a shallow copy of r with ctx as its context unless ctx is
// nil, and body as its Body unless body is nil. With nothing to change it
// returns r itself.
func With(r *http.Request, ctx context.Context, body io.ReadCloser) *http.Request {
	if (ctx == nil || ctx == r.Context()) && body == nil {
		return r
	}
	var cp *http.Request
	if ctx != nil && ctx != r.Context() {
		cp = r.WithContext(ctx)
	} else {
		c := *r
		cp = &c
	}
	if body != nil {
		cp.Body = body
	}
	return cp
}

// Into makes *dst what [With] would return as a copy, for a layer that
// keeps the copy in a per-request object of its own rather than
// allocating one: a shallow copy of r with ctx as its context unless ctx
// is nil, and body as its Body unless body is nil. dst is handed on and
// handed back like a copy from With.
func Into(dst, r *http.Request, ctx context.Context, body io.ReadCloser) {
	if ctx != nil {
		// WithContext is inlined and its copy does not escape: the only
		// allocation is the one dst already lives in.
		*dst = *r.WithContext(ctx)
	} else {
		*dst = *r
	}
	if body != nil {
		dst.Body = body
	}
}

// HandBack copies onto r, the request a layer received, what the handler
// it called left on cp, the copy it handed that handler: the multipart
// form it parsed, unless r has one, and the pattern a ServeMux set. It
// does nothing when cp is r.
func HandBack(r, cp *http.Request) {
	if cp == r {
		return
	}
	if cp.MultipartForm != nil && r.MultipartForm == nil {
		r.MultipartForm = cp.MultipartForm
	}
	if cp.Pattern != "" {
		r.Pattern = cp.Pattern
	}
}

// Serve calls next.ServeHTTP(w, cp) and then, even if next panics,
// HandBack(r, cp).
func Serve(next http.Handler, w http.ResponseWriter, r, cp *http.Request) {
	defer HandBack(r, cp)
	next.ServeHTTP(w, cp)
}
