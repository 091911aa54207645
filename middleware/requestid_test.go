package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/middleware"
)

var freshID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// echoID is a handler that writes the request ID of its context.
var echoID = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte(middleware.RequestIDFrom(r.Context())))
})

func TestRequestIDKeepsValidIncomingID(t *testing.T) {
	ids := []string{"abc", "0190a6b2-7c3e-7d8f-9a1b-2c3d4e5f6a7b", "svc:req_1.2-3", strings.Repeat("a", middleware.MaxRequestIDLen)}
	for _, id := range ids {
		t.Run(id[:min(len(id), 16)], func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("X-Request-ID", id)
			middleware.RequestID()(echoID).ServeHTTP(rec, req)
			if got := rec.Body.String(); got != id {
				t.Errorf("ID in context = %q, want %q", got, id)
			}
			if got := rec.Header().Get("X-Request-ID"); got != id {
				t.Errorf("X-Request-ID answered = %q, want %q", got, id)
			}
		})
	}
}

func TestRequestIDReplacesInvalidIncomingID(t *testing.T) {
	tests := []struct{ name, id string }{
		{"absent", ""},
		{"CRLF", "abc\r\nlevel=error msg=forged"},
		{"LF", "abc\nx"},
		{"quote", `abc"def`},
		{"space", "abc def"},
		{"equals", "Root=1-abc"},
		{"non-ASCII", "abcé"},
		{"too long", strings.Repeat("a", middleware.MaxRequestIDLen+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.id != "" {
				req.Header["X-Request-Id"] = []string{tc.id}
			}
			middleware.RequestID()(echoID).ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-ID")
			if !freshID.MatchString(got) {
				t.Errorf("X-Request-ID answered = %q, want a fresh 32-hex-digit ID", got)
			}
			if body := rec.Body.String(); body != got {
				t.Errorf("ID in context = %q, answered %q", body, got)
			}
		})
	}
}

func TestRequestIDFreshIDsDiffer(t *testing.T) {
	h := middleware.RequestID()(echoID)
	seen := make(map[string]bool)
	for range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		id := rec.Body.String()
		if seen[id] {
			t.Fatalf("ID %q generated twice", id)
		}
		seen[id] = true
	}
}

func TestRequestIDHeaderOption(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Correlation-ID", "corr-1")
	req.Header.Set("X-Request-ID", "ignored")
	middleware.RequestID(middleware.WithRequestIDHeader("x-correlation-id"))(echoID).ServeHTTP(rec, req)
	if got := rec.Body.String(); got != "corr-1" {
		t.Errorf("ID = %q, want the one of the configured header", got)
	}
	if got := rec.Header().Get("X-Correlation-ID"); got != "corr-1" {
		t.Errorf("X-Correlation-ID answered = %q", got)
	}
	if got := rec.Header().Get("X-Request-ID"); got != "" {
		t.Errorf("X-Request-ID answered = %q, want none", got)
	}
}

func TestRequestIDReachesProblemAnswers(t *testing.T) {
	refuse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, http.StatusRequestEntityTooLarge, "body_too_large", "")
	})
	rec := httptest.NewRecorder()
	middleware.RequestID()(refuse).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	resp := rec.Result()
	if got, want := readProblem(t, resp).RequestID, resp.Header.Get("X-Request-ID"); got != want || got == "" {
		t.Errorf("problem request_id = %q, header %q", got, want)
	}
}

var validID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a\r\nb", `"`, strings.Repeat("z", 129), "0190a6b2-7c3e", "Root=1", "é"} {
		f.Add(s)
	}
	h := middleware.RequestID()(echoID)
	f.Fuzz(func(t *testing.T, id string) {
		ok := middleware.ValidRequestID(id)
		if want := validID.MatchString(id); ok != want {
			t.Fatalf("ValidRequestID(%q) = %v, want %v", id, ok, want)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header["X-Request-Id"] = []string{id}
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-ID")
		if !validID.MatchString(got) {
			t.Fatalf("answered X-Request-ID %q for %q", got, id)
		}
		if ok != (got == id) {
			t.Fatalf("incoming %q (valid %v) answered as %q", id, ok, got)
		}
	})
}

func TestRequestIDNestedKeepsOuterID(t *testing.T) {
	var outer string
	inner := middleware.RequestID()(echoID)
	h := middleware.RequestID()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outer = middleware.RequestIDFrom(r.Context())
		inner.ServeHTTP(w, r)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if got := rec.Body.String(); got != outer || got != rec.Header().Get("X-Request-ID") {
		t.Errorf("inner ID %q, outer %q, answered %q", got, outer, rec.Header().Get("X-Request-ID"))
	}
}
