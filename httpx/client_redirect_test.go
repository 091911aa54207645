package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// credentials are the headers a redirect to another origin must not carry.
var credentials = []string{"Authorization", "Cookie", "Proxy-Authorization"}

// redirectTo answers every request with a redirect to target.
func redirectTo(target *string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, *target, http.StatusFound)
	})
}

// sendWithCredentials GETs url carrying every credential header and
// returns the headers the final server saw.
func sendWithCredentials(t *testing.T, cl *http.Client, url string, seen *atomic.Pointer[http.Header]) http.Header {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	for _, h := range credentials {
		req.Header.Set(h, "secret")
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return *seen.Load()
}

// recordHeaders serves 200 and keeps the headers of the last request.
func recordHeaders(seen *atomic.Pointer[http.Header]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		seen.Store(&h)
	})
}

// Credentials are dropped when a redirect leaves the origin, including
// for another port of the same host, which net/http treats as the same
// host; a redirect within the origin keeps them.
func TestClientRedirectDropsCredentialsAcrossOrigins(t *testing.T) {
	var seen atomic.Pointer[http.Header]
	other := httptest.NewServer(recordHeaders(&seen))
	t.Cleanup(other.Close)
	mux := http.NewServeMux()
	mux.Handle("/final", recordHeaders(&seen))
	target := other.URL + "/final"
	mux.Handle("/away", redirectTo(&target))
	mux.Handle("/here", http.RedirectHandler("/final", http.StatusFound))
	origin := httptest.NewServer(mux)
	t.Cleanup(origin.Close)
	if !strings.HasPrefix(other.URL, "http://127.0.0.1:") || !strings.HasPrefix(origin.URL, "http://127.0.0.1:") {
		t.Fatalf("servers at %s and %s, want the same host on two ports", origin.URL, other.URL)
	}
	cl := newTestClient(t, ClientConfig{})

	got := sendWithCredentials(t, cl, origin.URL+"/away", &seen)
	for _, h := range credentials {
		if v := got.Get(h); v != "" {
			t.Errorf("another port of the same host received %s: %q", h, v)
		}
	}
	got = sendWithCredentials(t, cl, origin.URL+"/here", &seen)
	for _, h := range credentials {
		if v := got.Get(h); v != "secret" {
			t.Errorf("a redirect within the origin lost %s (%q)", h, v)
		}
	}
}

// A redirect from https to http is refused before anything is sent in
// clear text.
func TestClientRedirectRefusesDowngrade(t *testing.T) {
	var plain atomic.Int32
	insecure := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plain.Add(1) }))
	t.Cleanup(insecure.Close)
	target := insecure.URL
	secure, cfg := backend(t, http2Mode, redirectTo(&target))
	cl := newTestClient(t, cfg)

	resp, err := cl.Get(secure.URL)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrRedirectDowngrade) {
		t.Errorf("error %v, want ErrRedirectDowngrade", err)
	}
	if plain.Load() != 0 {
		t.Error("the request was sent over http")
	}
}

// At most max_redirects redirects are followed; negative follows none.
func TestClientRedirectLimit(t *testing.T) {
	var hits atomic.Int32
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	t.Cleanup(loop.Close)
	tests := []struct {
		name     string
		max      int
		wantHits int32
		wantErr  error
	}{
		{"default", 0, 1 + defaultClientMaxRedirects, ErrTooManyRedirects},
		{"two", 2, 3, ErrTooManyRedirects},
		{"none", -1, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits.Store(0)
			cl := newTestClient(t, ClientConfig{MaxRedirects: tc.max})
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, loop.URL, nil)
			resp, err := cl.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if hits.Load() != tc.wantHits {
				t.Errorf("%d requests, want %d", hits.Load(), tc.wantHits)
			}
		})
	}
}
