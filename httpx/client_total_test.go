package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/retry"
)

// A new user's call, cl.Get and a read of the body, on a server that
// sends its headers and then stalls: client.timeouts.total ends the body
// read, as http.Client.Timeout would, with an error the caller
// recognises as a timeout, and the server sees the call abandoned.
func TestClientTotalBoundsSlowBody(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		abandoned := make(chan struct{})
		ts, cfg := backend(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				close(abandoned)
			case <-time.After(safety):
			}
		}))
		cfg.Timeouts.Total = 200 * harden.Millisecond
		cfg.Retry.MaxAttempts = 1
		cl := newTestClient(t, cfg)

		resp, err := cl.Get(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Fatalf("the stalled body read to its end: %q", body)
		}
		checkTotalTimeout(t, err)
		select {
		case <-abandoned:
		case <-time.After(safety):
			t.Error("the server never saw the call abandoned")
		}
	})
}

// checkTotalTimeout fails the test unless err is the error of a call
// that client.timeouts.total cut.
func checkTotalTimeout(t *testing.T, err error) {
	t.Helper()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v does not report Timeout()", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v is not context.DeadlineExceeded", err)
	}
	if !errors.Is(err, ErrTotalTimeout) {
		t.Errorf("error %v is not ErrTotalTimeout", err)
	}
}

// stallRT answers each request after wait, with a body whose reads block
// until the request's context ends, as net/http's transport does for a
// server that stops sending; with headers false the answer itself waits
// for the context. It records each request's context.
type stallRT struct {
	wait    time.Duration
	headers bool
	// plainErr: return ctx.Err() rather than context.Cause, as a
	// RoundTripper unaware of causes does.
	plainErr bool
	ctxs     []context.Context
}

func (s *stallRT) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	s.ctxs = append(s.ctxs, ctx)
	time.Sleep(s.wait)
	if !s.headers {
		<-ctx.Done()
		if s.plainErr {
			return nil, ctx.Err()
		}
		return nil, context.Cause(ctx)
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: &ctxBody{ctx: ctx}, Request: r}, nil
}

// ctxBody is a body with nothing to send until its request's context
// ends.
type ctxBody struct{ ctx context.Context }

func (b *ctxBody) Read([]byte) (int, error) {
	<-b.ctx.Done()
	return 0, context.Cause(b.ctx)
}

func (b *ctxBody) Close() error { return nil }

// In fake time, the total cuts a call waiting for its answer at exactly
// client.timeouts.total, whether the RoundTripper under it reports the
// deadline's cause or only context.DeadlineExceeded, and the error keeps
// the retry.Error of the attempt.
func TestClientTotalErrorBeforeHeaders(t *testing.T) {
	for _, plain := range []bool{false, true} {
		name := map[bool]string{false: "cause", true: "plain"}[plain]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cl, err := NewClient(DefaultClientConfig(), WithBaseTransport(&stallRT{plainErr: plain}))
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				resp, err := cl.Get("http://127.0.0.1/?token=secret")
				if err == nil {
					resp.Body.Close()
					t.Fatal("a call that never got an answer succeeded")
				}
				if d := time.Since(start); d != defaultClientTotal.Std() {
					t.Errorf("the call ended after %v, want %v", d, defaultClientTotal)
				}
				checkTotalTimeout(t, err)
				var ue *url.Error
				if !errors.As(err, &ue) || !ue.Timeout() {
					t.Errorf("error %v is not a *url.Error reporting Timeout()", err)
				}
				var re *retry.Error
				if !errors.As(err, &re) || re.Attempts != 1 {
					t.Errorf("error %v does not carry the retry.Error of its one attempt", err)
				}
			})
		})
	}
}

// The total bounds the body read too, and a body read to its end or
// closed stops the deadline's timer: the context the base RoundTripper
// saw is over, so no timer outlives the call.
func TestClientTotalTimerEndsWithBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := &stallRT{headers: true, wait: 10 * time.Second}
		cl, err := NewClient(DefaultClientConfig(), WithBaseTransport(base))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		resp, err := cl.Get("http://127.0.0.1/")
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if d := time.Since(start); d != defaultClientTotal.Std() {
			t.Errorf("the body read ended after %v, want %v", d, defaultClientTotal)
		}
		checkTotalTimeout(t, err)
	})
	for _, tc := range []struct {
		name string
		end  func(io.ReadCloser)
	}{
		{"read to EOF", func(b io.ReadCloser) { io.ReadAll(b) }},
		{"closed unread", func(b io.ReadCloser) { b.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, seen := contextClient(t, http.StatusOK, io.NopCloser(strings.NewReader("ok")))
			resp, err := cl.Get("http://127.0.0.1/")
			if err != nil {
				t.Fatal(err)
			}
			if (*seen).Err() != nil {
				t.Fatalf("the call's context ended before its body was read: %v", (*seen).Err())
			}
			if _, ok := (*seen).Deadline(); !ok {
				t.Fatal("the base RoundTripper saw no deadline")
			}
			tc.end(resp.Body)
			if !errors.Is((*seen).Err(), context.Canceled) {
				t.Errorf("after the body, the call's context is %v, want canceled (its timer stopped)", (*seen).Err())
			}
		})
	}
}

// A RoundTripper that answers without a body, against its contract, gets
// the empty body http.Client gives it, and leaves no timer behind.
func TestClientTotalNilBody(t *testing.T) {
	cl, seen := contextClient(t, http.StatusNoContent, nil)
	resp, err := cl.Get("http://127.0.0.1/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 0 {
		t.Errorf("body %q, %v; want empty", b, err)
	}
	if !errors.Is((*seen).Err(), context.Canceled) {
		t.Errorf("the call's context is %v, want canceled (its timer stopped)", (*seen).Err())
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Redirects share the deadline of the call's first request, as under
// http.Client.Timeout: a hop does not start the total again, also when a
// RoundTripper wrapped around the client's (otelhttp's, say) replaces
// the response bodies.
func TestClientTotalSpansRedirects(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(http.RoundTripper) http.RoundTripper
	}{
		{"client's transport", func(rt http.RoundTripper) http.RoundTripper { return rt }},
		{"wrapped transport", func(rt http.RoundTripper) http.RoundTripper {
			return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := rt.RoundTrip(r)
				if err == nil {
					resp.Body = struct{ io.ReadCloser }{resp.Body}
				}
				return resp, err
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { testTotalSpansRedirects(t, tc.wrap) })
	}
}

func testTotalSpansRedirects(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) {
	synctest.Test(t, func(t *testing.T) {
		var deadlines []time.Time
		base := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			dl, _ := r.Context().Deadline()
			deadlines = append(deadlines, dl)
			time.Sleep(time.Second)
			resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), Request: r}
			if r.URL.Path != "/b" {
				resp.StatusCode = http.StatusFound
				resp.Header.Set("Location", "/b")
			}
			return resp, nil
		})
		cl, err := NewClient(DefaultClientConfig(), WithBaseTransport(base))
		if err != nil {
			t.Fatal(err)
		}
		cl.Transport = wrap(cl.Transport)
		start := time.Now()
		resp, err := cl.Get("http://127.0.0.1/a")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := start.Add(defaultClientTotal.Std())
		if len(deadlines) != 2 || !deadlines[0].Equal(want) || !deadlines[1].Equal(want) {
			t.Errorf("hops ran under deadlines %v, want both %v", deadlines, want)
		}
	})
}

// A caller's context that ends before the total is left to end the call
// alone: the request passes through untouched, and its error is the
// caller's deadline, not the total's.
func TestClientTotalDefersToSoonerContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := &stallRT{}
		cl, err := NewClient(DefaultClientConfig(), WithBaseTransport(base))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/", nil)
		_, err = cl.Do(req)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTotalTimeout) {
			t.Errorf("err = %v, want the caller's deadline", err)
		}
		want, _ := ctx.Deadline()
		if len(base.ctxs) != 1 {
			t.Fatalf("%d attempts, want 1", len(base.ctxs))
		}
		if dl, _ := base.ctxs[0].Deadline(); !dl.Equal(want) {
			t.Errorf("the base RoundTripper saw the deadline %v, want the caller's %v", dl, want)
		}
	})
}

// client.timeouts.total -1 sets no deadline of its own.
func TestClientTotalDisabled(t *testing.T) {
	var seen context.Context
	base := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Context()
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	cfg := DefaultClientConfig()
	cfg.Timeouts.Total = -1
	cfg.Timeouts.ResponseHeader = -1
	cl, err := NewClient(cfg, WithBaseTransport(base))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cl.Get("http://127.0.0.1/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if dl, ok := seen.Deadline(); ok {
		t.Errorf("total -1 still set a deadline: %v", dl)
	}
}

// contextClient is a client of the default config over a base
// RoundTripper that answers status with body at once, and where the
// context of the last request it saw is kept.
func contextClient(t *testing.T, status int, body io.ReadCloser) (*http.Client, *context.Context) {
	t.Helper()
	seen := new(context.Context)
	base := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		*seen = r.Context()
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: body, Request: r}, nil
	})
	cl, err := NewClient(DefaultClientConfig(), WithBaseTransport(base))
	if err != nil {
		t.Fatal(err)
	}
	return cl, seen
}
