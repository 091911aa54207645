package retry

import (
	"net/url"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example/v1/items", "https://api.example/v1/items"},
		{"https://user:secret@api.example/v1", "https://user:xxxxx@api.example/v1"},
		{"https://api.example/v1?api_key=s3cr3t&page=2", "https://api.example/v1?api_key=REDACTED&page=REDACTED"},
		{"https://u:p@api.example/?X-Amz-Signature=abc", "https://u:xxxxx@api.example/?X-Amz-Signature=REDACTED"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			u, err := url.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := redact(u); got != tc.want {
				t.Errorf("redact = %q, want %q", got, tc.want)
			}
		})
	}
}
