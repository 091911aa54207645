package retry

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"99999999999999999999999", maxRetryAfterSeconds * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"Sun, 01 Mar 2026 12:01:00 GMT", time.Minute, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Sun Mar  1 12:01:00 2026", time.Minute, true},       // asctime
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"5s", 0, false},
		{"soon", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "-3", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", s, d, ok)
		}
		if ok && d > maxRetryAfterSeconds*time.Second && d > time.Until(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("parseRetryAfter(%q) = %v: out of range", s, d)
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32); err == nil && n < maxRetryAfterSeconds {
			if !ok || d != time.Duration(n)*time.Second {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %ds", s, d, ok, n)
			}
		}
	})
}

func TestBearerError(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{`Bearer error="invalid_token"`}, "invalid_token"},
		{[]string{`Bearer realm="example", error="invalid_token", error_description="The access token expired"`}, "invalid_token"},
		{[]string{`bearer ERROR=invalid_token`}, "invalid_token"},
		{[]string{`Basic realm="x", Bearer error="invalid_token"`}, "invalid_token"},
		{[]string{`Basic realm="x"`, `Bearer error="invalid_token"`}, "invalid_token"},
		{[]string{`Basic error="invalid_token"`}, ""},
		{[]string{`Bearer realm="a\"b", error="insufficient_scope"`}, "insufficient_scope"},
		{[]string{`Negotiate abc==, Bearer error="invalid_token"`}, "invalid_token"},
		{[]string{`Bearer error="invalid_token`}, ""}, // unterminated
		{[]string{`Bearer`}, ""},
		{[]string{`Bearer realm="x"`, `Basic error="invalid_token"`}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := bearerError(tc.in); got != tc.want {
			t.Errorf("bearerError(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzBearerError(f *testing.F) {
	for _, s := range []string{`Bearer error="invalid_token"`, `Basic realm="x", Bearer realm="y", error=invalid_token`, `Negotiate abc==`, `Bearer error="\"`, `,,,=`} {
		f.Add(s, "invalid_token")
	}
	f.Fuzz(func(t *testing.T, prefix, code string) {
		got := bearerError([]string{prefix})
		if len(got) > len(prefix) {
			t.Fatalf("bearerError(%q) = %q, longer than its input", prefix, got)
		}
		// A well-formed Bearer challenge in a separate header value is
		// always found when the ones before it hold no Bearer error.
		if _, found := bearerErrorIn(prefix); !isToken(code) || found {
			return
		}
		if e := bearerError([]string{prefix, `Bearer realm="r", error="` + code + `"`}); e != code {
			t.Fatalf("bearerError(%q, Bearer error=%q) = %q", prefix, code, e)
		}
	})
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) || s[i] == '/' {
			return false
		}
	}
	return true
}
