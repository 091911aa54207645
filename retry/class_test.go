package retry

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestDefaultClassifier(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		err    error
		want   Class
	}{
		{"200", 200, nil, "", nil, Success},
		{"304", 304, nil, "", nil, Success},
		{"404", 404, nil, "", nil, Permanent},
		{"400", 400, nil, "", nil, Permanent},
		{"400 ExpiredToken (S3)", 400, nil, "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>", nil, AuthExpired},
		{"400 X-Session-Status", 400, http.Header{"X-Session-Status": {"expired"}}, "", nil, Permanent},
		{"408", 408, nil, "", nil, Transient},
		{"500", 500, nil, "", nil, Transient},
		{"502", 502, nil, "", nil, Transient},
		{"503", 503, nil, "", nil, Transient},
		{"503 Retry-After", 503, http.Header{"Retry-After": {"1"}}, "", nil, Throttled},
		{"504", 504, nil, "", nil, Transient},
		{"429", 429, nil, "", nil, Throttled},
		{"401", 401, nil, "", nil, AuthExpired},
		{"403", 403, nil, "forbidden", nil, Forbidden},
		{"403 invalid_token", 403, http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}, "", nil, AuthExpired},
		{"403 insufficient_scope", 403, http.Header{"Www-Authenticate": {`Bearer error="insufficient_scope"`}}, "", nil, Forbidden},
		{"403 session expired", 403, http.Header{"X-Session-Status": {"Expired"}}, "", nil, AuthExpired},
		{"403 ExpiredToken", 403, nil, "<Error><Code>ExpiredToken</Code></Error>", nil, AuthExpired},
		{"403 ExpiredToken past 4KiB", 403, nil, strings.Repeat(" ", 5000) + "ExpiredToken", nil, Forbidden},
		{"403 STS ExpiredToken", 403, nil, `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code> ExpiredToken </Code></Error></ErrorResponse>`, nil, AuthExpired},
		{"403 JSON code", 403, nil, `{"code": "TokenRefreshRequired"}`, nil, AuthExpired},
		{"403 JSON nested error", 403, nil, `{"error": {"Code": "ExpiredToken", "message": "x"}}`, nil, AuthExpired},
		{"403 JSON error", 403, nil, `{"message": "x", "error": "ExpiredToken"}`, nil, AuthExpired},
		{"403 XML message echoes ExpiredToken", 403, nil, `<Error><Code>AccessDenied</Code><Message>ExpiredToken</Message></Error>`, nil, Forbidden},
		{"403 XML code names ExpiredToken", 403, nil, `<Error><Code>NotExpiredToken</Code></Error>`, nil, Forbidden},
		{"403 JSON message echoes ExpiredToken", 403, nil, `{"code": "AccessDenied", "message": "ExpiredToken"}`, nil, Forbidden},
		{"403 JSON key named code", 403, nil, `{"ExpiredToken": "code", "details": ["code", "ExpiredToken"]}`, nil, Forbidden},
		{"403 text ExpiredToken", 403, nil, "ExpiredToken", nil, Forbidden},
		{"403 truncated JSON", 403, nil, `{"code": "ExpiredTok`, nil, Forbidden},
		{"transport error", 0, nil, "", io.ErrUnexpectedEOF, Transient},
		{"cancelled", 0, nil, "", fmt.Errorf("wrapped: %w", context.Canceled), Permanent},
		{"unknown CA", 0, nil, "", fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), Permanent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			if tc.err == nil {
				resp = &http.Response{StatusCode: tc.status, Header: tc.header, ContentLength: -1,
					Body: io.NopCloser(strings.NewReader(tc.body))}
				if resp.Header == nil {
					resp.Header = http.Header{}
				}
			}
			if got := DefaultClassifier(resp, tc.err); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if resp != nil {
				if b, _ := io.ReadAll(resp.Body); string(b) != tc.body {
					t.Errorf("body after classifying is %d bytes, want the whole %d", len(b), len(tc.body))
				}
			}
		})
	}
}

func TestPeekKeepsReadErrors(t *testing.T) {
	boom := errors.New("connection reset")
	resp := &http.Response{StatusCode: 403, Header: http.Header{}, ContentLength: -1,
		Body: io.NopCloser(io.MultiReader(strings.NewReader("abc"), errReader{boom}))}
	DefaultClassifier(resp, nil)
	b, err := io.ReadAll(resp.Body)
	if string(b) != "abc" || !errors.Is(err, boom) {
		t.Errorf("read %q, %v; want abc and the original error", b, err)
	}
}

func TestClassString(t *testing.T) {
	want := []string{"success", "transient", "throttled", "auth_expired", "forbidden", "permanent"}
	for i, w := range want {
		if got := Class(i).String(); got != w {
			t.Errorf("Class(%d) = %q, want %q", i, got, w)
		}
	}
	if got := Class(99).String(); got != "unknown" {
		t.Errorf("Class(99) = %q", got)
	}
}

// A 403 whose body the server holds open after a few bytes is classified
// on what arrived and returned at once; the caller still reads the whole
// body, in order. The server releases the body only once the test has its
// response (or after a safety bound, which then fails the test).
func TestForbiddenHeldBodyReturnsPromptly(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		release := make(chan struct{})
		var released atomic.Bool
		srv := newServer(t, m, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<Error><Code>Access")
			http.NewResponseController(w).Flush()
			select {
			case <-release:
			case <-time.After(10 * time.Second): // a safety bound only
				released.Store(true)
			}
			io.WriteString(w, "Denied</Code></Error>")
		})
		tr := mustTransport(t, srv.base(t), fastPolicy(), WithAuthenticator(TokenAuth((&sequenceFetch{}).fetch)), withClock(&fakeClock{}))
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		if released.Load() {
			t.Error("RoundTrip returned only after the server gave up holding the body")
		}
		close(release)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); resp.StatusCode != http.StatusForbidden || got != "<Error><Code>AccessDenied</Code></Error>" {
			t.Errorf("got %d %q, want the 403 with its whole body", resp.StatusCode, got)
		}
	})
}

// The peek waits only within its bound: in a bubble, RoundTrip with a body
// that never comes returns after exactly peekWait of fake time.
func TestPeekBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pw.Close()
		go io.WriteString(pw, "<Error>")
		resp := &http.Response{StatusCode: 403, Header: http.Header{}, ContentLength: -1, Body: pr}
		start := time.Now()
		class := DefaultClassifier(resp, nil)
		if waited := time.Since(start); class != Forbidden || waited != peekWait {
			t.Errorf("classified %v after %v, want forbidden after %v", class, waited, peekWait)
		}
		go func() { io.WriteString(pw, "</Error>"); pw.Close() }()
		b, err := io.ReadAll(resp.Body)
		if string(b) != "<Error></Error>" || err != nil {
			t.Errorf("read %q, %v; want the whole body", b, err)
		}
		resp.Body.Close()
	})
}

// The body of a 403 is the server's, and may echo an attacker's input.
func FuzzExpiredCode(f *testing.F) {
	for _, s := range []string{
		`<Error><Code>ExpiredToken</Code></Error>`,
		`{"error":{"code":"TokenRefreshRequired"}}`,
		`{"message":"ExpiredToken","code":"AccessDenied"}`,
		`<Error><Message>ExpiredToken</Message></Error>`,
		`[{"code":[{"code":"ExpiredToken"}]}]`,
		`<a><Code><b/>ExpiredToken</Code></a>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if expiredCode(body) && !bytes.Contains(body, []byte("ExpiredToken")) && !bytes.Contains(body, []byte("TokenRefreshRequired")) &&
			!bytes.Contains(body, []byte(`\u`)) && !bytes.Contains(body, []byte("&")) {
			t.Fatalf("expiredCode(%q) is true without a code in it", body)
		}
		// Only a code member or element counts, never a message.
		wrapped := append([]byte(`{"message":`), strconv.AppendQuote(nil, string(body))...)
		if expiredCode(append(wrapped, '}')) {
			t.Fatalf("a message holding %q counted as a code", body)
		}
	})
}
