package retry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harden-go/harden"
)

// pipeBody is a request body fed by a producer that writes only once the
// server has the request, as a full-duplex or slow producer does; the
// producer gives up after a safety bound, which the tests report. Its
// closes are counted.
type pipeBody struct {
	*io.PipeReader
	closes  atomic.Int64
	gaveUp  atomic.Bool
	arrived chan struct{} // closed by the server when the request arrives
	once    sync.Once
}

func newPipeBody(t *testing.T, payload string) *pipeBody {
	pr, pw := io.Pipe()
	b := &pipeBody{PipeReader: pr, arrived: make(chan struct{})}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-b.arrived:
		case <-stop:
			pw.CloseWithError(errors.New("test over"))
			return
		case <-time.After(10 * time.Second): // a safety bound only
			b.gaveUp.Store(true)
		}
		io.WriteString(pw, payload)
		pw.Close()
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
	})
	return b
}

func (b *pipeBody) Close() error {
	b.closes.Add(1)
	return b.PipeReader.Close()
}

func (b *pipeBody) arrive() { b.once.Do(func() { close(b.arrived) }) }

// check reports a body that was not closed exactly once, or whose
// producer had to give up waiting: the request then went out, or
// RoundTrip returned, only after the safety bound.
func (b *pipeBody) check(t *testing.T) {
	t.Helper()
	if b.gaveUp.Load() {
		t.Error("the producer reached its safety bound: the body was read ahead of the request, or RoundTrip outlived its context")
	}
	if n := b.closes.Load(); n != 1 {
		t.Errorf("body closed %d times, want 1", n)
	}
}

// A streaming POST goes out at once: the body is not read ahead before
// the first attempt. A new user's client: http.Client with the default
// policy.
func TestStreamingBodyStartsAtOnce(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		var body *pipeBody
		srv := newServer(t, m, func(w http.ResponseWriter, r *http.Request) {
			body.arrive()
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		})
		body = newPipeBody(t, "streamed")
		tr := mustTransport(t, srv.base(t), DefaultPolicy())
		client := &http.Client{Transport: tr}
		resp, err := client.Post(srv.URL, "text/plain", body)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); got != "streamed" {
			t.Errorf("server echoed %q, want streamed", got)
		}
		body.check(t)
	})
}

// The caller's deadline holds while the producer has nothing to send. (On
// HTTP/1.1 net/http alone does not return until the body's Read does: its
// RoundTrip waits for its write loop, blocked in that Read.)
func TestStreamingBodyDeadline(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		var body *pipeBody
		arrived := make(chan struct{})
		srv := newServer(t, m, func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			io.Copy(io.Discard, r.Body)
		})
		body = newPipeBody(t, "late") // arrive is never called: the producer waits
		tr := mustTransport(t, srv.base(t), DefaultPolicy())
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-arrived // the request is on the wire, its body pending
			cancel()
		}()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, body)
		_, err := tr.RoundTrip(req)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		body.check(t)
	})
}

// A body without GetBody that the first attempt sent whole is buffered as
// it goes and replayed; one that outgrew MaxReplayBytes is not.
func TestStreamedBodyReplay(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		attempts int64
	}{
		{"within MaxReplayBytes", 1000, 3},
		{"beyond MaxReplayBytes", 3000, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, m mode) {
				payload := strings.Repeat("x", tc.size)
				var mu sync.Mutex
				var bodies []string
				var body *pipeBody
				srv := newServer(t, m, func(w http.ResponseWriter, r *http.Request) {
					body.arrive()
					b, _ := io.ReadAll(r.Body)
					mu.Lock()
					bodies = append(bodies, string(b))
					mu.Unlock()
					w.WriteHeader(http.StatusServiceUnavailable)
				})
				body = newPipeBody(t, payload)
				p := fastPolicy()
				p.MaxReplayBytes = 2 * harden.KiB
				tr := mustTransport(t, srv.base(t), p, withClock(&fakeClock{}))
				req, _ := http.NewRequest(http.MethodPut, srv.URL, body)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				readAll(t, resp)
				mu.Lock()
				defer mu.Unlock()
				if int64(len(bodies)) != tc.attempts {
					t.Fatalf("server saw %d requests, want %d", len(bodies), tc.attempts)
				}
				for i, b := range bodies {
					if b != payload {
						t.Errorf("attempt %d sent %d bytes, want %d", i+1, len(b), len(payload))
					}
				}
				body.check(t)
			})
		})
	}
}

// A body whose length differs from the caller's ContentLength fails as it
// does with net/http alone, and no attempt is sent with a length the
// caller did not give.
func TestBodyLengthMismatch(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		length int64
	}{
		{"longer than ContentLength", "payload", 3},
		{"shorter than ContentLength", "payload", 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, m mode) {
				var mu sync.Mutex
				var lengths []string
				srv := newServer(t, m, func(w http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body)
					mu.Lock()
					lengths = append(lengths, strconv.FormatInt(r.ContentLength, 10))
					mu.Unlock()
					w.WriteHeader(http.StatusServiceUnavailable)
				})
				send := func(rt http.RoundTripper) string {
					body := &closeCounter{Reader: strings.NewReader(tc.body)}
					req, _ := http.NewRequest(http.MethodPut, srv.URL, body)
					req.ContentLength = tc.length
					resp, err := rt.RoundTrip(req)
					// net/http may close the body after RoundTrip returns;
					// the retry.Transport, which read it to decide on a
					// resend, has closed it by then.
					if _, ok := rt.(*Transport); ok && body.closes.Load() != 1 {
						t.Errorf("body closed %d times, want 1", body.closes.Load())
					}
					if err != nil {
						return "error"
					}
					readAll(t, resp)
					return strconv.Itoa(resp.StatusCode)
				}
				want := send(srv.base(t))
				if got := send(mustTransport(t, srv.base(t), fastPolicy(), withClock(&fakeClock{}))); got != want {
					t.Errorf("retry.Transport gave %s, net/http alone %s", got, want)
				}
				mu.Lock()
				defer mu.Unlock()
				for _, l := range lengths {
					if l != strconv.FormatInt(tc.length, 10) {
						t.Errorf("server received Content-Length %s, want only the caller's %d", l, tc.length)
					}
				}
			})
		})
	}
}

// A body whose read fails is sent once, its error returned and the body
// closed once: nothing is resent with a partial body.
func TestBodyReadErrorNotResent(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		srv := newServer(t, m, func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		tr := mustTransport(t, srv.base(t), fastPolicy(), withClock(&fakeClock{}))
		body := &errBody{}
		req, _ := http.NewRequest(http.MethodPut, srv.URL, body)
		resp, err := tr.RoundTrip(req)
		if err == nil {
			readAll(t, resp)
		}
		if got := srv.hits.Load(); got > 1 {
			t.Errorf("server saw %d requests, want at most 1", got)
		}
		if n := body.closes.Load(); n != 1 {
			t.Errorf("body closed %d times, want 1", n)
		}
	})
}

// The same with the deadline a new user sets: http.Client.Timeout.
func TestStreamingBodyClientTimeout(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		srv := newServer(t, m, func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })
		body := newPipeBody(t, "late") // the producer waits
		client := &http.Client{Transport: mustTransport(t, srv.base(t), DefaultPolicy()), Timeout: 200 * time.Millisecond}
		_, err := client.Post(srv.URL, "text/plain", body)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want one that is context.DeadlineExceeded", err)
		}
		body.check(t)
	})
}
