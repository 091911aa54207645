package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// failN answers status to the first n requests and 200 "ok" after.
func failN(n int64, status int, header ...string) http.HandlerFunc {
	var seen atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if seen.Add(1) <= n {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.WriteHeader(status)
			io.WriteString(w, "try again")
			return
		}
		io.WriteString(w, "ok")
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		srv := newServer(t, m, failN(2, http.StatusServiceUnavailable))
		clk := &fakeClock{}
		tr := mustTransport(t, srv.base(t), fastPolicy(), withClock(clk))
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); resp.StatusCode != 200 || got != "ok" {
			t.Fatalf("got %d %q, want 200 ok", resp.StatusCode, got)
		}
		if got := srv.hits.Load(); got != 3 {
			t.Errorf("server saw %d requests, want 3", got)
		}
		if got := len(clk.waits()); got != 2 {
			t.Errorf("%d waits, want 2", got)
		}
		// Discarded 503s were drained, so one connection carried all three.
		if got := srv.conns.Load(); got != 1 {
			t.Errorf("%d connections, want 1 (discarded responses drained and reused)", got)
		}
	})
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv := newServer(t, "h1", failN(100, http.StatusBadGateway))
	p := fastPolicy()
	p.MaxAttempts = 4
	tr := mustTransport(t, srv.base(t), p, withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); resp.StatusCode != http.StatusBadGateway || got != "try again" {
		t.Errorf("got %d %q, want the last 502 with its body", resp.StatusCode, got)
	}
	if got := srv.hits.Load(); got != 4 {
		t.Errorf("server saw %d requests, want 4", got)
	}
}

func TestResendOnlyWhenSafe(t *testing.T) {
	tests := []struct {
		name   string
		method string
		key    string
		unsafe bool
		want   int64
	}{
		{"GET", http.MethodGet, "", false, 3},
		{"PUT", http.MethodPut, "", false, 3},
		{"DELETE", http.MethodDelete, "", false, 3},
		{"POST", http.MethodPost, "", false, 1},
		{"PATCH", http.MethodPatch, "", false, 1},
		{"POST with Idempotency-Key", http.MethodPost, "k1", false, 3},
		{"POST with RetryUnsafe", http.MethodPost, "", true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, "h1", failN(100, http.StatusServiceUnavailable))
			p := fastPolicy()
			p.RetryUnsafe = tc.unsafe
			tr := mustTransport(t, srv.base(t), p, withClock(&fakeClock{}))
			req, _ := http.NewRequest(tc.method, srv.URL, strings.NewReader("payload"))
			if tc.key != "" {
				req.Header.Set("Idempotency-Key", tc.key)
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if got := srv.hits.Load(); got != tc.want {
				t.Errorf("server saw %d requests, want %d", got, tc.want)
			}
		})
	}
}

// A POST whose body was written and whose connection then broke may have
// been executed: it is not sent again. A GET is.
func TestBrokenConnectionAfterWrite(t *testing.T) {
	tests := []struct {
		method string
		want   int64
	}{{http.MethodPost, 1}, {http.MethodGet, 3}}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			srv := newServer(t, "h1", func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
			})
			tr := mustTransport(t, srv.base(t), fastPolicy(), withClock(&fakeClock{}))
			req, _ := http.NewRequest(tc.method, srv.URL, strings.NewReader("payload"))
			_, err := tr.RoundTrip(req)
			var rerr *Error
			if !errors.As(err, &rerr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if got := srv.hits.Load(); got != tc.want || int64(rerr.Attempts) != tc.want {
				t.Errorf("server saw %d requests, error says %d attempts; want %d", got, rerr.Attempts, tc.want)
			}
		})
	}
}

// refusingDialer fails its first n dials with a real "connection refused"
// from a closed port, then dials the real address.
func refusingDialer(t *testing.T, n int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	var dials atomic.Int64
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= n {
			addr = closed
		}
		return d.DialContext(ctx, network, addr)
	}
}

// A request that never reached the server is resent whatever its method.
func TestRefusedConnectionResendsPOST(t *testing.T) {
	var bodies []string
	srv := newServer(t, "h1", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
	})
	base := srv.base(t)
	base.DialContext = refusingDialer(t, 2)
	tr := mustTransport(t, base, fastPolicy(), withClock(&fakeClock{}))
	body := &closeCounter{Reader: strings.NewReader("payload")}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, body)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if len(bodies) != 1 || bodies[0] != "payload" {
		t.Errorf("server received %q, want one request with the whole body", bodies)
	}
	if got := body.closes.Load(); got != 1 {
		t.Errorf("body closed %d times, want 1", got)
	}
}

func TestFinalError(t *testing.T) {
	base := &http.Transport{DialContext: refusingDialer(t, 100)}
	t.Cleanup(base.CloseIdleConnections)
	tr := mustTransport(t, base, fastPolicy(), withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, "http://user:secret@127.0.0.1:1/path?q=1", nil)
	_, err := tr.RoundTrip(req)
	var rerr *Error
	if !errors.As(err, &rerr) {
		t.Fatalf("err = %v, want *Error", err)
	}
	want := Error{Method: "GET", URL: "http://user:xxxxx@127.0.0.1:1/path?q=REDACTED", Attempts: 3}
	if rerr.Method != want.Method || rerr.URL != want.URL || rerr.Attempts != want.Attempts || rerr.LastStatus != 0 {
		t.Errorf("got %+v, want %+v", *rerr, want)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		t.Errorf("error %v does not wrap the dial error", err)
	}
}

func TestFinalErrorLastStatus(t *testing.T) {
	srv := newServer(t, "h1", failN(1, http.StatusServiceUnavailable))
	base := srv.base(t)
	dial := refusingDialer(t, 0)
	var dials atomic.Int64
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) > 1 {
			return refusingDialer(t, 100)(ctx, network, addr)
		}
		return dial(ctx, network, addr)
	}
	base.DisableKeepAlives = true
	tr := mustTransport(t, base, fastPolicy(), withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := tr.RoundTrip(req)
	var rerr *Error
	if !errors.As(err, &rerr) || rerr.LastStatus != http.StatusServiceUnavailable || rerr.Attempts != 3 {
		t.Fatalf("err = %#v, want *Error with LastStatus 503 after 3 attempts", err)
	}
	if !strings.Contains(err.Error(), "last status 503") {
		t.Errorf("error %q does not name the last status", err)
	}
}

func TestBodyReplay(t *testing.T) {
	large := strings.Repeat("x", 100<<10)
	tests := []struct {
		name     string
		body     string
		getBody  bool
		length   int64 // -1: unknown
		attempts int64
	}{
		{"GetBody", "payload", true, 7, 3},
		{"buffered, known length", "payload", false, 7, 3},
		{"buffered, unknown length", "payload", false, -1, 3},
		{"too large to buffer", large, false, -1, 1},
		{"too large by Content-Length", large, false, int64(len(large)), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var bodies []string
			var mu = make(chan struct{}, 1)
			srv := newServer(t, "h1", func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu <- struct{}{}
				bodies = append(bodies, string(b))
				<-mu
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			tr := mustTransport(t, srv.base(t), fastPolicy(), withClock(&fakeClock{}))
			body := &closeCounter{Reader: strings.NewReader(tc.body)}
			req, _ := http.NewRequest(http.MethodPut, srv.URL, body)
			req.ContentLength = tc.length
			if tc.getBody {
				req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(tc.body)), nil }
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if int64(len(bodies)) != tc.attempts {
				t.Fatalf("server saw %d requests, want %d", len(bodies), tc.attempts)
			}
			for i, b := range bodies {
				if b != tc.body {
					t.Errorf("attempt %d sent %d bytes, want the whole %d-byte body", i+1, len(b), len(tc.body))
				}
			}
			if got := body.closes.Load(); got != 1 {
				t.Errorf("body closed %d times, want 1", got)
			}
			if req.Body != body || req.ContentLength != tc.length {
				t.Errorf("caller's request was modified")
			}
		})
	}
}

type failingAuth struct{ err error }

func (a failingAuth) Authorize(*http.Request) error              { return a.err }
func (a failingAuth) Renew(context.Context, *http.Request) error { return a.err }

type errBody struct{ closeCounter }

func (b *errBody) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// The request body is closed exactly once on paths that send nothing.
func TestBodyClosedWhenNothingSent(t *testing.T) {
	srv := newServer(t, "h1", func(w http.ResponseWriter, r *http.Request) {})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		opts []Option
		body func() io.ReadCloser
	}{
		{"context already done", cancelled, nil, nil},
		{"Authorize fails", context.Background(), []Option{WithAuthenticator(failingAuth{errors.New("no key")})}, nil},
		{"Authorize fails, buffered body", context.Background(), []Option{WithAuthenticator(failingAuth{errors.New("no key")})}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := mustTransport(t, srv.base(t), fastPolicy(), append(tc.opts, withClock(&fakeClock{}))...)
			var counter *closeCounter
			var body io.ReadCloser
			if tc.body != nil {
				body = tc.body()
				counter = &body.(*errBody).closeCounter
			} else {
				counter = &closeCounter{Reader: strings.NewReader("payload")}
				body = counter
			}
			req, _ := http.NewRequestWithContext(tc.ctx, http.MethodPost, srv.URL, body)
			req.ContentLength = 200 << 10 // too large to buffer: streamed
			if strings.Contains(tc.name, "buffered") || tc.body != nil {
				req.ContentLength = -1
			}
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatal("RoundTrip succeeded, want an error")
			}
			if got := counter.closes.Load(); got != 1 {
				t.Errorf("body closed %d times, want 1", got)
			}
			if got := srv.hits.Load(); got != 0 {
				t.Errorf("server saw %d requests, want 0", got)
			}
		})
	}
}

// One deadline covers every attempt: no wait starts that cannot end before
// it.
func TestNoWaitPastDeadline(t *testing.T) {
	p := Policy{InitialBackoff: time.Second, MaxBackoff: time.Second, Jitter: -1, Budget: BudgetConfig{Ratio: -1}}

	t.Run("response", func(t *testing.T) {
		srv := newServer(t, "h1", failN(100, http.StatusServiceUnavailable))
		clk := &fakeClock{}
		tr := mustTransport(t, srv.base(t), p, withClock(clk))
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if resp.StatusCode != http.StatusServiceUnavailable || srv.hits.Load() != 1 {
			t.Errorf("got %d after %d requests, want the first 503", resp.StatusCode, srv.hits.Load())
		}
		if w := clk.waits(); len(w) != 0 {
			t.Errorf("waits %v started, want none", w)
		}
	})
	t.Run("error", func(t *testing.T) {
		base := &http.Transport{DialContext: refusingDialer(t, 100)}
		t.Cleanup(base.CloseIdleConnections)
		clk := &fakeClock{}
		tr := mustTransport(t, base, p, withClock(clk))
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/", nil)
		_, err := tr.RoundTrip(req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want one that is context.DeadlineExceeded", err)
		}
		if w := clk.waits(); len(w) != 0 {
			t.Errorf("waits %v started, want none", w)
		}
	})
	t.Run("base hides the context error", func(t *testing.T) {
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, errors.New("upstream gave up")
		})
		p := fastPolicy()
		p.MaxAttempts = 1
		tr := mustTransport(t, base, p, withClock(&fakeClock{}))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/", nil)
		if _, err := tr.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want one that is context.DeadlineExceeded", err)
		}
	})
	t.Run("deadline passes during an attempt", func(t *testing.T) {
		srv := newServer(t, "h1", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		tr := mustTransport(t, srv.base(t), fastPolicy(), withClock(&fakeClock{}))
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		_, err := tr.RoundTrip(req)
		var rerr *Error
		if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &rerr) || rerr.Attempts != 1 {
			t.Errorf("err = %v, want *Error after 1 attempt that is context.DeadlineExceeded", err)
		}
	})
}

func TestPerAttemptTimeout(t *testing.T) {
	var n atomic.Int64
	headersRead := make(chan struct{})
	srv := newServer(t, "h1", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done() // the first attempt hangs
			return
		}
		w.(http.Flusher).Flush()
		<-headersRead // the body follows once RoundTrip has returned
		io.WriteString(w, "ok")
	})
	p := fastPolicy()
	p.PerAttemptTimeout = 100 * time.Millisecond
	tr := mustTransport(t, srv.base(t), p, withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	close(headersRead)
	if err != nil {
		t.Fatal(err)
	}
	// The body is still readable after RoundTrip returned: the attempt's
	// own timeout context lives until the body is closed.
	if got := readAll(t, resp); got != "ok" || srv.hits.Load() != 2 {
		t.Errorf("got %q after %d requests, want ok after 2", got, srv.hits.Load())
	}
}

func TestRetryAfter(t *testing.T) {
	date := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name     string
		status   int
		value    string
		requests int64
		status2  int
		minWait  time.Duration
		maxWait  time.Duration
	}{
		{"429 delta-seconds", http.StatusTooManyRequests, "2", 2, 200, 2 * time.Second, 2 * time.Second},
		{"503 delta-seconds", http.StatusServiceUnavailable, "7", 2, 200, 7 * time.Second, 7 * time.Second},
		{"503 HTTP-date", http.StatusServiceUnavailable, date, 2, 200, 3 * time.Second, 5 * time.Second},
		{"503 beyond MaxRetryAfter", http.StatusServiceUnavailable, "3600", 1, 503, 0, 0},
		{"429 date beyond MaxRetryAfter", http.StatusTooManyRequests, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), 1, 429, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, "h1", failN(1, tc.status, "Retry-After", tc.value))
			clk := &fakeClock{}
			tr := mustTransport(t, srv.base(t), fastPolicy(), withClock(clk))
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if resp.StatusCode != tc.status2 || srv.hits.Load() != tc.requests {
				t.Errorf("got %d after %d requests, want %d after %d", resp.StatusCode, srv.hits.Load(), tc.status2, tc.requests)
			}
			w := clk.waits()
			if tc.minWait == 0 {
				if len(w) != 0 {
					t.Errorf("waits %v, want none", w)
				}
				return
			}
			if len(w) != 1 || w[0] < tc.minWait || w[0] > tc.maxWait {
				t.Errorf("waits %v, want one in [%v, %v]", w, tc.minWait, tc.maxWait)
			}
		})
	}
}

func TestBudgetLimitsRetries(t *testing.T) {
	srv := newServer(t, "h1", failN(1<<30, http.StatusServiceUnavailable))
	clk := &fakeClock{} // waits do not move time: every request falls in one window
	p := fastPolicy()
	p.Budget = BudgetConfig{}
	p.Throttle.K = -1 // the budget alone: first attempts all go out
	tr := mustTransport(t, srv.base(t), p, withClock(clk))
	const requests = 1000
	for range requests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		drain(resp.Body)
	}
	// Finagle's formula: retries <= max(ratio*requests, min/s * window).
	maxRetries := max(0.2*requests, 10*10.0)
	retries := srv.hits.Load() - requests
	if retries > int64(maxRetries) || retries < int64(maxRetries)/2 {
		t.Errorf("%d retries for %d failing requests, want at most %v (and not far below)", retries, requests, maxRetries)
	}
}

func TestBudgetIsPerHost(t *testing.T) {
	a := newServer(t, "h1", failN(1<<30, http.StatusServiceUnavailable))
	b := newServer(t, "h1", failN(1<<30, http.StatusServiceUnavailable))
	p := fastPolicy()
	p.Budget = BudgetConfig{Ratio: 0.1, MinPerSecond: -1}
	base := a.base(t)
	tr := mustTransport(t, base, p, withClock(&fakeClock{}))
	for range 100 {
		req, _ := http.NewRequest(http.MethodGet, a.URL, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		drain(resp.Body)
	}
	// a's budget is spent; b's is its own.
	for range 10 {
		req, _ := http.NewRequest(http.MethodGet, b.URL, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		drain(resp.Body)
	}
	if got := b.hits.Load(); got != 10+1 {
		t.Errorf("b saw %d requests, want 11: 10 plus the one retry its own 10%% budget allows", got)
	}
}

func TestCallerRequestUnchanged(t *testing.T) {
	srv := newServer(t, "h1", failN(1, http.StatusUnauthorized))
	auth := TokenAuth(func(context.Context, string) (Token, error) { return Token{Value: "t"}, nil })
	p := fastPolicy()
	p.PerAttemptTimeout = time.Minute
	tr := mustTransport(t, srv.base(t), p, WithAuthenticator(auth), withClock(&fakeClock{}))
	ctx := context.Background()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL, bytes.NewReader([]byte("x")))
	req.Header.Set("X-Mine", "1")
	body := req.Body
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if len(req.Header) != 1 || req.Header.Get("X-Mine") != "1" || req.Body != body || req.Context() != ctx {
		t.Errorf("caller's request changed: header %v", req.Header)
	}
}

// Waits follow the policy's jittered exponential backoff.
func TestBackoffWaits(t *testing.T) {
	srv := newServer(t, "h1", failN(3, http.StatusServiceUnavailable))
	clk := &fakeClock{}
	p := Policy{MaxAttempts: 4, Budget: BudgetConfig{Ratio: -1}}
	tr := mustTransport(t, srv.base(t), p, withClock(clk), withRand(func() float64 { return 0.5 }))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	if got := clk.waits(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("waits %v, want %v (half of 100ms, 200ms, 400ms)", got, want)
	}
}

func TestNeverSent(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"dial error", &net.OpError{Op: "dial", Err: errors.New("no route")}, true},
		{"refused, wrapped by a custom dialer", fmt.Errorf("proxy: %w", syscall.ECONNREFUSED), true},
		{"HTTP/2 REFUSED_STREAM", fmt.Errorf("wrapped: %w", h2StreamError{StreamID: 3, Code: h2RefusedStream}), true},
		{"HTTP/2 other stream error", h2StreamError{StreamID: 3, Code: 0x2}, false},
		{"read error", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, false},
		{"EOF", io.ErrUnexpectedEOF, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := neverSent(tc.err); got != tc.want {
				t.Errorf("neverSent(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCloseIdleConnectionsForwarded(t *testing.T) {
	base := &closeIdleCounter{Transport: &http.Transport{}}
	client := &http.Client{Transport: mustTransport(t, base, Policy{})}
	client.CloseIdleConnections()
	if n := base.n.Load(); n != 1 {
		t.Errorf("base CloseIdleConnections called %d times, want 1", n)
	}
}

func TestWithClassifier(t *testing.T) {
	srv := newServer(t, "h1", failN(2, http.StatusNotFound))
	// A backend that answers 404 while a new object replicates.
	classify := func(resp *http.Response, err error) Class {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return Transient
		}
		return DefaultClassifier(resp, err)
	}
	tr := mustTransport(t, srv.base(t), fastPolicy(), WithClassifier(classify), withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); got != "ok" || srv.hits.Load() != 3 {
		t.Errorf("got %q after %d requests, want ok after 3", got, srv.hits.Load())
	}
}

func TestNilURL(t *testing.T) {
	tr := mustTransport(t, roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Error("a request without a URL reached the base")
		return nil, errors.New("unreachable")
	}), Policy{})
	body := &closeCounter{Reader: strings.NewReader("x")}
	if _, err := tr.RoundTrip(&http.Request{Method: http.MethodPost, Body: body, Header: http.Header{}}); err == nil {
		t.Error("want an error")
	}
	if body.closes.Load() != 1 {
		t.Errorf("body closed %d times, want 1", body.closes.Load())
	}
}
