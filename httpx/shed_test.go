package httpx

import (
	"net/http"
	"testing"

	"github.com/harden-go/harden/limits"
)

// Beyond limits.concurrency the server answers at once with a 503 the
// client can act on, while exempt routes keep answering.
func TestOverloadIsShedWithRetryAfter(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		entered, release := make(chan struct{}), make(chan struct{})
		mux := http.NewServeMux()
		mux.HandleFunc("GET /hold", func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
		})
		mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {})
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
		cfg := testConfig()
		cfg.Limits.Concurrency = limits.ConcurrencyConfig{Mode: limits.ModeStatic, Max: 1, Backlog: -1, Exempt: []string{"GET /healthz"}}
		_, base, client := serveMode(t, m, cfg, mux)

		held := make(chan error, 1)
		go func() {
			resp, err := client.Get(base + "/hold")
			if err == nil {
				_ = resp.Body.Close()
			}
			held <- err
		}()
		<-entered
		resp, err := client.Get(base + "/work")
		if err != nil {
			t.Fatal(err)
		}
		checkProto(t, m, resp)
		p := decodeProblem(t, resp, http.StatusServiceUnavailable)
		_ = resp.Body.Close()
		if p.Code != limits.CodeOverloaded || resp.Header.Get("Retry-After") != "1" || p.RequestID != resp.Header.Get("X-Request-ID") {
			t.Errorf("code %q Retry-After %q request_id %q (header %q); want %s, 1 and the request's ID",
				p.Code, resp.Header.Get("Retry-After"), p.RequestID, resp.Header.Get("X-Request-ID"), limits.CodeOverloaded)
		}
		resp, err = client.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("exempt /healthz answered %d while the server sheds, want 200", resp.StatusCode)
		}
		close(release)
		if err := <-held; err != nil {
			t.Fatal(err)
		}
	})
}
