package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/limits"
)

// The server's answers of its own, over both protocols.
func TestGuardAnswersOverEachProtocol(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		mux := http.NewServeMux()
		mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})
		mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
		})
		mux.Handle("/", ok)
		_, base, client := serveMode(t, m, testConfig(), mux)
		tests := []struct {
			name   string
			req    func() *http.Request
			status int
			code   string
		}{
			{"handler timeout", func() *http.Request {
				r, _ := http.NewRequest("GET", base+"/slow", nil)
				return r
			}, http.StatusServiceUnavailable, "handler_timeout"},
			{"declared body too large", func() *http.Request {
				r, _ := http.NewRequest("POST", base+"/upload", strings.NewReader(strings.Repeat("x", 128<<10)))
				r.Header.Set("Expect", "100-continue")
				return r
			}, http.StatusRequestEntityTooLarge, "body_too_large"},
			{"header block too large", func() *http.Request {
				r, _ := http.NewRequest("GET", base+"/", nil)
				for i := range 120 {
					r.Header.Set(fmt.Sprintf("X-Filler-%03d", i), strings.Repeat("v", 70))
				}
				return r
			}, http.StatusRequestHeaderFieldsTooLarge, "header_too_large"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp, err := client.Do(tc.req())
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				checkProto(t, m, resp)
				if p := decodeProblem(t, resp, tc.status); p.Code != tc.code {
					t.Errorf("code = %q, want %q", p.Code, tc.code)
				}
			})
		}
	})
}

// A handler that waits on a body the client never sends is released by the
// progress guard on HTTP/2 too, where ReadHeaderTimeout has no say.
func TestStalledBodyOverEachProtocol(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		got := make(chan error, 1)
		_, base, client := serveMode(t, m, testConfig(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.Copy(io.Discard, r.Body)
			got <- err
		}))
		pr, pw := io.Pipe()
		defer pw.Close()
		go func() { _, _ = pw.Write([]byte("a few bytes, then nothing")) }()
		req, _ := http.NewRequest("POST", base+"/upload", pr)
		req.ContentLength = 32 << 10 // within max_body_bytes
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		resp, err := client.Do(req.WithContext(ctx))
		if err == nil {
			resp.Body.Close()
		}
		var slow *limits.SlowBodyError
		select {
		case err := <-got:
			if !errors.As(err, &slow) {
				t.Fatalf("handler read error = %v, want *limits.SlowBodyError", err)
			}
		case <-ctx.Done():
			t.Fatal("the stalled body held the handler")
		}
	})
}

func TestHTTP2CleartextOnlyWhenConfigured(t *testing.T) {
	for _, cleartext := range []bool{false, true} {
		t.Run(fmt.Sprint("cleartext=", cleartext), func(t *testing.T) {
			cfg := testConfig()
			cfg.HTTP2.Cleartext = cleartext
			_, addr := serve(t, cfg, ok)
			var p http.Protocols
			p.SetUnencryptedHTTP2(true)
			tr := &http.Transport{Protocols: &p}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: safety}).Get("http://" + addr + "/")
			if !cleartext {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("h2c prior knowledge was served (HTTP/%d) without http2.cleartext", resp.ProtoMajor)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.ProtoMajor != 2 {
				t.Fatalf("answer over HTTP/%d, want h2c", resp.ProtoMajor)
			}
		})
	}
}

// The server advertises http2.max_concurrent_streams: no connection ever
// has more handlers running at once (the client opens more connections
// rather than exceed it).
func TestHTTP2ConcurrentStreamsAreCapped(t *testing.T) {
	cfg := testConfig()
	cfg.Timeouts.Handler = harden.Duration(safety)
	cfg.HTTP2.MaxConcurrentStreams = 3
	var mu sync.Mutex
	running, peak := map[string]int{}, 0
	var started atomic.Int32
	release := make(chan struct{})
	_, base, client := serveMode(t, http2Mode, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/warm" {
			return
		}
		mu.Lock()
		running[r.RemoteAddr]++
		peak = max(peak, running[r.RemoteAddr])
		mu.Unlock()
		started.Add(1)
		<-release
		mu.Lock()
		running[r.RemoteAddr]--
		mu.Unlock()
	}))
	// One request first, so the client has the server's settings before
	// the burst.
	if resp, err := client.Get(base + "/warm"); err == nil {
		resp.Body.Close()
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if resp, err := client.Get(base + "/"); err == nil {
				resp.Body.Close()
			}
		})
	}
	for i := 0; i < 500 && started.Load() < 8; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	if started.Load() != 8 {
		t.Fatalf("%d of 8 requests reached the handler", started.Load())
	}
	if peak != 3 {
		t.Fatalf("peak handlers on one connection = %d, want the advertised 3", peak)
	}
}
