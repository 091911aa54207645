package retry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer accepts only "Bearer <valid>"; others get status with the
// given headers and body.
type tokenServer struct {
	valid atomic.Value // string
}

func (ts *tokenServer) handler(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Authorization") == "Bearer "+ts.valid.Load().(string) {
			io.WriteString(w, "ok")
			return
		}
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// sequenceFetch hands out tok1, tok2, ... and counts its calls.
type sequenceFetch struct {
	n atomic.Int64
}

func (f *sequenceFetch) fetch(ctx context.Context, key string) (Token, error) {
	n := f.n.Add(1)
	return Token{Value: fmt.Sprintf("%stok%d", key, n)}, nil
}

func TestRenewOnAuthFailure(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		header []string
	}{
		{"401", http.StatusUnauthorized, strings.Repeat("unauthorized ", 100), nil},
		{"403 WWW-Authenticate invalid_token", http.StatusForbidden, "denied",
			[]string{"WWW-Authenticate", `Bearer realm="api", error="invalid_token", error_description="expired"`}},
		{"403 X-Session-Status", http.StatusForbidden, "denied", []string{"X-Session-Status", "expired"}},
		{"403 ExpiredToken", http.StatusForbidden,
			`<?xml version="1.0"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>`, nil},
		{"403 TokenRefreshRequired", http.StatusForbidden, `{"code":"TokenRefreshRequired"}`, nil},
		{"403 STS ExpiredToken", http.StatusForbidden,
			`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>ExpiredToken</Code></Error></ErrorResponse>`, nil},
		{"403 JSON error object", http.StatusForbidden, `{"error":{"code":"ExpiredToken","message":"renew it"}}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, m mode) {
				ts := &tokenServer{}
				ts.valid.Store("tok2")
				srv := newServer(t, m, ts.handler(tc.status, tc.body, tc.header...))
				f := &sequenceFetch{}
				base := &closeIdleCounter{Transport: srv.base(t)}
				tr := mustTransport(t, base, fastPolicy(), WithAuthenticator(TokenAuth(f.fetch)), withClock(&fakeClock{}))
				req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("payload"))
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				if got := readAll(t, resp); got != "ok" {
					t.Fatalf("got %d %q, want 200 ok after renewal", resp.StatusCode, got)
				}
				if f.n.Load() != 2 || srv.hits.Load() != 2 {
					t.Errorf("%d fetches and %d requests, want 2 and 2", f.n.Load(), srv.hits.Load())
				}
				if n := base.n.Load(); n != 0 {
					t.Errorf("CloseIdleConnections called %d times on the shared pool, want 0", n)
				}
				// On HTTP/1.x the rejected response was closed unread, so its
				// connection was not reused for the resend. (On HTTP/2 the
				// stream is reset and the shared connection kept.)
				if got := srv.conns.Load(); m == "h1" && got != 2 {
					t.Errorf("%d connections, want 2 (the rejected one not reused)", got)
				}
			})
		})
	}
}

// closeIdleCounter counts calls to CloseIdleConnections.
type closeIdleCounter struct {
	*http.Transport
	n atomic.Int64
}

func (c *closeIdleCounter) CloseIdleConnections() {
	c.n.Add(1)
	c.Transport.CloseIdleConnections()
}

func TestRenewAtMostOnce(t *testing.T) {
	ts := &tokenServer{}
	ts.valid.Store("never")
	srv := newServer(t, "h1", ts.handler(http.StatusUnauthorized, "no"))
	f := &sequenceFetch{}
	tr := mustTransport(t, srv.base(t), fastPolicy(), WithAuthenticator(TokenAuth(f.fetch)), withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); resp.StatusCode != http.StatusUnauthorized || got != "no" {
		t.Errorf("got %d %q, want the second 401 with its body", resp.StatusCode, got)
	}
	if f.n.Load() != 2 || srv.hits.Load() != 2 {
		t.Errorf("%d fetches and %d requests, want 2 and 2", f.n.Load(), srv.hits.Load())
	}
}

func TestNoRenewal(t *testing.T) {
	large := strings.Repeat("x", 100<<10)
	tests := []struct {
		name   string
		status int
		body   string // request body, not replayable (no GetBody) when set
		header []string
		auth   bool
		answer string // the server's body; empty: "denied by policy"
	}{
		{"403 without expiry signal", http.StatusForbidden, "", []string{"WWW-Authenticate", `Bearer error="insufficient_scope"`}, true, ""},
		{"401 without Authenticator", http.StatusUnauthorized, "", nil, false, ""},
		{"401 with a body that cannot be replayed", http.StatusUnauthorized, large, nil, true, ""},
		// Denials that merely echo user content naming an expired-session
		// code do not say the session expired.
		{"403 XML echoing ExpiredToken", http.StatusForbidden, "", nil, true,
			`<Error><Code>AccessDenied</Code><Message>no access to ExpiredToken.txt</Message><Key>ExpiredToken</Key></Error>`},
		{"403 JSON echoing ExpiredToken", http.StatusForbidden, "", nil, true,
			`{"code":"AccessDenied","message":"no access to ExpiredToken","path":"/TokenRefreshRequired"}`},
		{"403 text echoing ExpiredToken", http.StatusForbidden, "", nil, true, `you may not read ExpiredToken`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := &tokenServer{}
			ts.valid.Store("tok2")
			answer := cmp.Or(tc.answer, "denied by policy")
			srv := newServer(t, "h1", ts.handler(tc.status, answer, tc.header...))
			f := &sequenceFetch{}
			opts := []Option{withClock(&fakeClock{})}
			if tc.auth {
				opts = append(opts, WithAuthenticator(TokenAuth(f.fetch)))
			}
			tr := mustTransport(t, srv.base(t), fastPolicy(), opts...)
			var body io.Reader
			if tc.body != "" {
				body = io.MultiReader(strings.NewReader(tc.body)) // hides the length: no GetBody
			}
			req, _ := http.NewRequest(http.MethodPut, srv.URL, body)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, resp); resp.StatusCode != tc.status || got != answer {
				t.Errorf("got %d %q, want %d with its whole body", resp.StatusCode, got, tc.status)
			}
			if srv.hits.Load() != 1 {
				t.Errorf("server saw %d requests, want 1", srv.hits.Load())
			}
			if tc.auth && f.n.Load() != 1 {
				t.Errorf("%d fetches, want 1 (no renewal)", f.n.Load())
			}
		})
	}
}

func TestRenewalError(t *testing.T) {
	ts := &tokenServer{}
	ts.valid.Store("tok2")
	srv := newServer(t, "h1", ts.handler(http.StatusUnauthorized, "no"))
	errIdP := errors.New("identity provider down")
	var n atomic.Int64
	fetch := func(context.Context, string) (Token, error) {
		if n.Add(1) > 1 {
			return Token{}, errIdP
		}
		return Token{Value: "tok1"}, nil
	}
	tr := mustTransport(t, srv.base(t), fastPolicy(), WithAuthenticator(TokenAuth(fetch)), withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := tr.RoundTrip(req)
	var rerr *Error
	if !errors.Is(err, errIdP) || !errors.As(err, &rerr) || rerr.LastStatus != http.StatusUnauthorized {
		t.Errorf("err = %v, want *Error wrapping the fetch error with last status 401", err)
	}
}

// 200 requests rejected with one expired token cause one fetch, and all
// succeed with the new token.
func TestConcurrentRenewalCollapses(t *testing.T) {
	ts := &tokenServer{}
	ts.valid.Store("tok1")
	srv := newServer(t, "h1", ts.handler(http.StatusUnauthorized, "expired"))
	f := &sequenceFetch{}
	base := srv.base(t)
	base.MaxIdleConnsPerHost = 200
	tr := mustTransport(t, base, fastPolicy(), WithAuthenticator(TokenAuth(f.fetch)), withClock(&fakeClock{}))

	// Warm the cache with tok1, then expire it on the server.
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	ts.valid.Store("tok2")
	before := f.n.Load()
	// A slow identity provider: every request is rejected while the one
	// fetch is still running.
	auth := tr.auth.(*tokenAuth)
	auth.fetch = func(ctx context.Context, key string) (Token, error) {
		time.Sleep(20 * time.Millisecond)
		return f.fetch(ctx, key)
	}

	const n = 200
	var wg sync.WaitGroup
	var ok atomic.Int64
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Logf("status %d %q", resp.StatusCode, body)
			}
			if resp.StatusCode == 200 && string(body) == "ok" {
				ok.Add(1)
			}
			resp.Body.Close()
		})
	}
	close(start)
	wg.Wait()
	if fetches := f.n.Load() - before; ok.Load() != n || fetches != 1 {
		t.Errorf("%d successes and %d fetches, want %d and 1", ok.Load(), fetches, n)
	}
}

func TestTokenAuthCache(t *testing.T) {
	f := &sequenceFetch{}
	a := TokenAuth(f.fetch, WithCacheSize(2))
	authorize := func(key string) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(WithKey(context.Background(), key), http.MethodGet, "http://127.0.0.1/", nil)
		if err := a.Authorize(req); err != nil {
			t.Fatal(err)
		}
		return req.Header.Get("Authorization")
	}
	steps := []struct{ key, want string }{
		{"a", "Bearer atok1"},
		{"b", "Bearer btok2"},
		{"a", "Bearer atok1"}, // cached; a is now the most recent
		{"c", "Bearer ctok3"}, // evicts b, the least recently used
		{"a", "Bearer atok1"},
		{"b", "Bearer btok4"}, // fetched again
	}
	for i, s := range steps {
		if got := authorize(s.key); got != s.want {
			t.Errorf("step %d: key %q got %q, want %q", i, s.key, got, s.want)
		}
	}
}

func TestTokenAuthRenewCompareAndSwap(t *testing.T) {
	f := &sequenceFetch{}
	a := TokenAuth(f.fetch)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	if err := a.Authorize(req); err != nil {
		t.Fatal(err)
	}
	rejected := req.Clone(context.Background()) // carries tok1
	if err := a.Renew(context.Background(), rejected); err != nil {
		t.Fatal(err)
	}
	// tok1 was already replaced by tok2: a second Renew for it fetches
	// nothing.
	if err := a.Renew(context.Background(), rejected); err != nil {
		t.Fatal(err)
	}
	if f.n.Load() != 2 {
		t.Errorf("%d fetches, want 2", f.n.Load())
	}
	if err := a.Authorize(req); err != nil || req.Header.Get("Authorization") != "Bearer tok2" {
		t.Errorf("Authorization %q, %v; want Bearer tok2", req.Header.Get("Authorization"), err)
	}
}

func TestTokenAuthFetchErrorNotCached(t *testing.T) {
	var n atomic.Int64
	a := TokenAuth(func(context.Context, string) (Token, error) {
		if n.Add(1) == 1 {
			return Token{}, errors.New("flaky")
		}
		return Token{Value: "good", Type: "MAC"}, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	if err := a.Authorize(req); err == nil {
		t.Fatal("first Authorize succeeded, want the fetch error")
	}
	if err := a.Authorize(req); err != nil || req.Header.Get("Authorization") != "MAC good" {
		t.Errorf("second Authorize: %q, %v; want a fresh fetch", req.Header.Get("Authorization"), err)
	}
}

// Inside the renewal window one request renews while the others keep
// using the old, still valid, token without waiting.
func TestTokenAuthEarlyRenewal(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var n atomic.Int64
	fetching := make(chan struct{})
	release := make(chan struct{})
	fetch := func(ctx context.Context, key string) (Token, error) {
		switch n.Add(1) {
		case 1:
			return Token{Value: "old", Expiry: now.Add(time.Minute)}, nil
		default:
			close(fetching)
			<-release
			return Token{Value: "new", Expiry: now.Add(time.Hour)}, nil
		}
	}
	a := TokenAuth(fetch, WithRenewBefore(10*time.Second)).(*tokenAuth)
	clock := now
	a.now = func() time.Time { return clock }
	authorize := func() string {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		if err := a.Authorize(req); err != nil {
			t.Error(err)
		}
		return req.Header.Get("Authorization")
	}
	if got := authorize(); got != "Bearer old" {
		t.Fatalf("got %q, want Bearer old", got)
	}
	clock = now.Add(55 * time.Second) // inside the window, still valid
	renewer := make(chan string)
	go func() { renewer <- authorize() }()
	<-fetching
	if got := authorize(); got != "Bearer old" { // does not wait for the fetch
		t.Errorf("during renewal got %q, want Bearer old", got)
	}
	close(release)
	if got := <-renewer; got != "Bearer new" {
		t.Errorf("renewer got %q, want Bearer new", got)
	}
	if got := authorize(); got != "Bearer new" || n.Load() != 2 {
		t.Errorf("after renewal got %q with %d fetches, want Bearer new with 2", got, n.Load())
	}
}

// A request built by hand without a header map is still authorized.
func TestAuthorizeNilHeader(t *testing.T) {
	ts := &tokenServer{}
	ts.valid.Store("tok1")
	srv := newServer(t, "h1", ts.handler(http.StatusUnauthorized, "no"))
	f := &sequenceFetch{}
	tr := mustTransport(t, srv.base(t), fastPolicy(), WithAuthenticator(TokenAuth(f.fetch)), withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header = nil
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); got != "ok" || req.Header != nil {
		t.Errorf("got %q, caller header %v; want ok and the caller's nil header untouched", got, req.Header)
	}
}

// A redirect that http.Client follows keeps the token within the origin
// and never carries it to another one.
func TestTokenStaysWithinOrigin(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // path on each server -> Authorization
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name+r.URL.Path] = r.Header.Get("Authorization")
			mu.Unlock()
			io.WriteString(w, "ok")
		}
	}
	other := httptest.NewServer(record("other"))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/landed", http.StatusFound)
		case "/away":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		default:
			record("api")(w, r)
		}
	}))
	defer api.Close()
	f := &sequenceFetch{}
	tr := mustTransport(t, api.Client().Transport, fastPolicy(), WithAuthenticator(TokenAuth(f.fetch)), withClock(&fakeClock{}))
	client := &http.Client{Transport: tr}
	for _, path := range []string{"/same", "/away"} {
		resp, err := client.Get(api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	if got := seen["api/landed"]; got != "Bearer tok1" {
		t.Errorf("same-origin redirect carried %q, want the token", got)
	}
	if got, ok := seen["other/landed"]; !ok || got != "" {
		t.Errorf("redirect to another origin carried %q (reached: %v), want no credentials", got, ok)
	}
}

// A 401 from another origin, reached by a redirect that rightly carried no
// token, says nothing about the token: it is neither renewed nor resent.
func TestNoRenewalForOtherOrigin(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		other := newServer(t, m, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				t.Errorf("other origin received %q", r.Header.Get("Authorization"))
			}
			http.Error(w, "who are you", http.StatusUnauthorized)
		})
		api := newServer(t, m, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		})
		f := &sequenceFetch{}
		tr := mustTransport(t, api.base(t), fastPolicy(), WithAuthenticator(TokenAuth(f.fetch)), withClock(&fakeClock{}))
		client := &http.Client{Transport: tr}
		const n = 5
		for range n {
			resp, err := client.Get(api.URL + "/away")
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, resp); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("got %d %q, want the other origin's 401", resp.StatusCode, got)
			}
		}
		if f.n.Load() != 1 || other.hits.Load() != n {
			t.Errorf("%d fetches and %d requests to the other origin, want 1 and %d", f.n.Load(), other.hits.Load(), n)
		}
	})
}

// Renew for an attempt that carried no credential has nothing to renew.
func TestTokenAuthRenewWithoutCredential(t *testing.T) {
	f := &sequenceFetch{}
	a := TokenAuth(f.fetch)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	if err := a.Authorize(req); err != nil {
		t.Fatal(err)
	}
	bare, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	for range 3 {
		if err := a.Renew(context.Background(), bare); err != nil {
			t.Fatal(err)
		}
	}
	if f.n.Load() != 1 {
		t.Errorf("%d fetches, want 1", f.n.Load())
	}
}

// A token that lives shorter than the renewal window serves many requests:
// renewal starts halfway through its lifetime, not at once.
func TestTokenAuthShortLivedToken(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		clock := now
		var fetches atomic.Int64
		fetch := func(ctx context.Context, key string) (Token, error) {
			fetches.Add(1)
			mu.Lock()
			defer mu.Unlock()
			return Token{Value: "tok", Expiry: clock.Add(20 * time.Second)}, nil
		}
		a := TokenAuth(fetch).(*tokenAuth) // default window: 30s
		a.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		srv := newServer(t, m, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		tr := mustTransport(t, srv.base(t), fastPolicy(), WithAuthenticator(a), withClock(&fakeClock{}))
		get := func() {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
		}
		for i := range 10 { // at 0s, 1s, ... 9s: within the first half
			mu.Lock()
			clock = now.Add(time.Duration(i) * time.Second)
			mu.Unlock()
			get()
		}
		if got := fetches.Load(); got != 1 {
			t.Errorf("%d fetches for 10 requests in the first half of a 20s token, want 1", got)
		}
		mu.Lock()
		clock = now.Add(11 * time.Second) // past half: renewed early
		mu.Unlock()
		get()
		if got := fetches.Load(); got != 2 {
			t.Errorf("%d fetches after half the lifetime, want 2", got)
		}
	})
}
