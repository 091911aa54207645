package reqcopy_test

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/harden-go/harden/internal/reqcopy"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type key struct{}

func TestWith(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))
	if got := reqcopy.With(r, nil, nil); got != r {
		t.Error("With with nothing to change made a copy")
	}
	if got := reqcopy.With(r, r.Context(), nil); got != r {
		t.Error("With with the same context made a copy")
	}
	ctx := context.WithValue(r.Context(), key{}, 1)
	body := io.NopCloser(strings.NewReader("y"))
	cp := reqcopy.With(r, ctx, body)
	if cp == r || cp.Context() != ctx || cp.Body != body || r.Body == body || r.Context() == ctx {
		t.Errorf("With(ctx, body) = %+v; want a copy with both, r unchanged", cp)
	}
	if cp := reqcopy.With(r, nil, body); cp == r || cp.Body != body || cp.Context() != r.Context() {
		t.Errorf("With(nil, body) = %+v; want a copy with the body", cp)
	}
}

// What the handler leaves on the copy reaches the request the layer
// received, even when the handler panics.
func TestServeHandsBack(t *testing.T) {
	form := &multipart.Form{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /items/{id}", func(_ http.ResponseWriter, r *http.Request) {
		r.MultipartForm = form
		panic("boom")
	})
	r := httptest.NewRequest(http.MethodPost, "/items/1", nil)
	cp := reqcopy.With(r, context.WithValue(r.Context(), key{}, 1), nil)
	func() {
		defer func() { _ = recover() }()
		reqcopy.Serve(mux, httptest.NewRecorder(), r, cp)
	}()
	if r.MultipartForm != form || r.Pattern != "POST /items/{id}" {
		t.Errorf("form %p, pattern %q; want the handler's form and the mux's pattern", r.MultipartForm, r.Pattern)
	}

	// A form the received request already has is kept.
	own := &multipart.Form{}
	r2 := httptest.NewRequest(http.MethodPost, "/", nil)
	r2.MultipartForm = own
	cp2 := reqcopy.With(r2, nil, io.NopCloser(strings.NewReader("")))
	cp2.MultipartForm = form
	reqcopy.HandBack(r2, cp2)
	if r2.MultipartForm != own {
		t.Error("HandBack replaced the received request's own form")
	}
}

func TestInto(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))
	ctx := context.WithValue(r.Context(), key{}, "v")
	body := io.NopCloser(strings.NewReader("y"))
	tests := []struct {
		name     string
		ctx      context.Context
		body     io.ReadCloser
		wantCtx  context.Context
		wantBody io.ReadCloser
	}{
		{"context", ctx, nil, ctx, r.Body},
		{"body", nil, body, r.Context(), body},
		{"both", ctx, body, ctx, body},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cp http.Request
			reqcopy.Into(&cp, r, tc.ctx, tc.body)
			if cp.Context() != tc.wantCtx || cp.Body != tc.wantBody || cp.URL != r.URL || cp.Method != r.Method {
				t.Errorf("copy has context %v, body %v; want %v, %v and r's other fields", cp.Context(), cp.Body, tc.wantCtx, tc.wantBody)
			}
			if r.Context() == ctx || r.Body == body {
				t.Error("Into changed the request it copied")
			}
		})
	}
}
