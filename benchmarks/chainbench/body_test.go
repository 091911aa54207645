package chainbench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden/limits"
)

// upload is the body of every request of BenchmarkMiddlewareBody: a
// small JSON document, the common case of an API request with a body.
const upload = `{"name":"item","count":1}`

// rereadBody is a request body that starts over at each reset, so that
// one request serves every iteration without allocating.
type rereadBody struct{ strings.Reader }

func (*rereadBody) Close() error { return nil }

// discardConn is discard with the read deadline net/http's own writer
// offers, so that the body guards run as on a real connection.
type discardConn struct{ discard }

func (*discardConn) SetReadDeadline(time.Time) error { return nil }

// consume reads the whole body, then answers as hello does.
var consume = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	hello(w, r)
})

// bodyVariants are the layers that treat a request body, alone and in
// the Default chain.
func bodyVariants(b testing.TB) []variant {
	return []variant{
		{"raw", func(h http.Handler) http.Handler { return h }},
		{"Timeout", variantNamed(b, "Timeout")},
		{"Body", limits.Body(1 << 20)},
		{"Progress", limits.Progress(limits.ProgressConfig{})},
		{"Default/nolog", defaultChain(noop, nil)},
	}
}

// BenchmarkMiddlewareBody is BenchmarkMiddleware for a POST with a body,
// which the body guards act on.
func BenchmarkMiddlewareBody(b *testing.B) {
	for _, v := range bodyVariants(b) {
		b.Run(v.name, func(b *testing.B) {
			h := v.mw(consume)
			body := &rereadBody{}
			req := httptest.NewRequest(http.MethodPost, "/items", body)
			req.RemoteAddr = "127.0.0.1:12345"
			req.ContentLength = int64(len(upload))
			w := &discardConn{discard{h: make(http.Header)}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				body.Reset(upload)
				h.ServeHTTP(w, req)
			}
		})
	}
}

// TestBodyVariantsAnswer checks that every variant of
// BenchmarkMiddlewareBody reads the whole body and answers as the bare
// handler does, so that no benchmark measures a refusal.
func TestBodyVariantsAnswer(t *testing.T) {
	for _, v := range bodyVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			body := &rereadBody{}
			body.Reset(upload)
			rec := httptest.NewRecorder()
			v.mw(consume).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/items", body))
			if rec.Code != http.StatusOK || rec.Body.String() != "hello" || body.Len() != 0 {
				t.Errorf("answered %d %q with %d body bytes unread, want 200 hello with none", rec.Code, rec.Body.String(), body.Len())
			}
		})
	}
}

// variantNamed returns the middleware of BenchmarkMiddleware's variant
// name.
func variantNamed(b testing.TB, name string) func(http.Handler) http.Handler {
	for _, v := range variants(b) {
		if v.name == name {
			return v.mw
		}
	}
	b.Fatalf("no variant %q", name)
	return nil
}
