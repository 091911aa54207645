package middleware

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedactQuery checks, for any raw query a client sends, that the
// value of a parameter of [DefaultSensitiveQuery] never survives
// redaction, and that the rest of the query is kept as sent.
func FuzzRedactQuery(f *testing.F) {
	for _, q := range []string{
		"", "a=1", "token=x&a=2", "TOKEN=x", "to%6Ben=x", "token", "token=&x=1", "%zz=1&token=a=b", "a&&token=1",
		"X-Goog-Signature=ab&X-Goog-Credential=svc%40p%2F1", "x-goog-signatur%65=ab", "client_assertion=a.b.c&assertion=d.e.f",
	} {
		f.Add(q)
	}
	sensitive := make(map[string]bool)
	for _, n := range DefaultSensitiveQuery() {
		sensitive[strings.ToLower(n)] = true
	}
	f.Fuzz(func(t *testing.T, q string) {
		out := redactQuery(q, sensitive)
		if vals, err := url.ParseQuery(out); err == nil {
			// What a server reading the logged query would see.
			for k, vs := range vals {
				for _, v := range vs {
					if sensitive[strings.ToLower(k)] && v != redacted && v != "" {
						t.Fatalf("redactQuery(%q) = %q keeps %s=%q", q, out, k, v)
					}
				}
			}
		}
		in, got := strings.Split(q, "&"), strings.Split(out, "&")
		if len(in) != len(got) {
			t.Fatalf("redactQuery(%q) = %q: %d parts, want %d", q, out, len(got), len(in))
		}
		for i, part := range in {
			name, _, hasValue := strings.Cut(part, "=")
			key, err := url.QueryUnescape(name)
			if err != nil {
				key = name
			}
			want := part
			if hasValue && sensitive[strings.ToLower(key)] {
				want = name + "=" + redacted
			}
			if got[i] != want {
				t.Fatalf("redactQuery(%q) part %d = %q, want %q", q, i, got[i], want)
			}
		}
	})
}
