package httpx

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The test a new user writes: the default limits, http.DefaultClient, a
// body too large for them. The client must get the 413, not a reset
// caused by the server closing on the unread rest of the body.
func TestRefusedBodyAnswerReachesDefaultClient(t *testing.T) {
	tests := []struct {
		name string
		body func() io.Reader
	}{
		{"chunked", func() io.Reader { return io.MultiReader(bytes.NewReader(make([]byte, 8<<20))) }},
		{"content-length", func() io.Reader { return bytes.NewReader(make([]byte, 8<<20)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultServerConfig()
			cfg.Shutdown.DrainDelay = -1
			_, addr := serve(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					return
				}
				_, _ = io.WriteString(w, "stored")
			}))
			resp, err := http.DefaultClient.Post("http://"+addr+"/upload", "application/octet-stream", tc.body())
			if err != nil {
				t.Fatalf("POST of 8MiB: %v; want the 413 answer", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "body_too_large") {
				t.Fatalf("status %d body %q, want 413 body_too_large", resp.StatusCode, body)
			}
		})
	}
}
