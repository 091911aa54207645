package retry

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
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
