package middleware_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/internal/reqid"
	hrw "github.com/harden-go/harden/internal/rw"
	"github.com/harden-go/harden/limits"
	"github.com/harden-go/harden/middleware"
)

// withRequestID puts id in the request's context, as the RequestID layer
// in front of Timeout does; an empty id leaves the context alone.
func withRequestID(id string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id != "" {
			r = r.WithContext(reqid.With(r.Context(), id))
		}
		h.ServeHTTP(w, r)
	})
}

// awaitDeadline blocks until ctx ends and returns its error. Reading the
// cause waits until the context has finished cancelling, which includes
// starting Timeout's AfterFunc; ServeHTTP then waits for that callback
// before it returns, so whatever the callback writes is on the wire by
// the time the client sees the end of the answer.
func awaitDeadline(ctx context.Context) error {
	<-ctx.Done()
	_ = context.Cause(ctx)
	return ctx.Err()
}

func TestTimeoutDisabled(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
	}{
		{"zero", 0},
		{"negative", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &markerHandler{}
			if got := middleware.Timeout(tc.d)(h); got != http.Handler(h) {
				t.Errorf("Timeout(%v) wrapped the handler: got %T", tc.d, got)
			}
		})
	}
}

type markerHandler struct{}

func (*markerHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

func TestTimeoutAnswersOverrun(t *testing.T) {
	run(t, testTimeoutAnswersOverrun)
}

func testTimeoutAnswersOverrun(t *testing.T, mode mode) {
	tests := []struct {
		name      string
		requestID string
	}{
		{"with request ID", "req-7"},
		{"without request ID", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			type outcome struct {
				ctxErr, writeErr, flushErr error
			}
			release := make(chan struct{})
			outcomes := make(chan outcome, 1)
			h := middleware.Timeout(shortTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				o := outcome{ctxErr: awaitDeadline(r.Context())}
				<-release // run on after the deadline, as a runaway handler does
				w.Header().Set("X-Late", "1")
				w.WriteHeader(http.StatusOK)
				_, o.writeErr = w.Write([]byte("late"))
				o.flushErr = http.NewResponseController(w).Flush()
				outcomes <- o
			}))
			ts := newServer(t, mode, withRequestID(tc.requestID, h))
			releaseOnce := sync.OnceFunc(func() { close(release) })
			t.Cleanup(releaseOnce)

			resp := get(t, ts, mode)
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("status = %d, want 503", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
				t.Errorf("Content-Type = %q, want %q", ct, problem.ContentType)
			}
			if resp.ContentLength <= 0 {
				t.Fatalf("Content-Length = %d, want the problem's length", resp.ContentLength)
			}
			// The handler is still blocked: the whole answer arrives
			// without waiting for it.
			body := make([]byte, resp.ContentLength)
			if _, err := io.ReadFull(resp.Body, body); err != nil {
				t.Fatalf("reading the problem while the handler runs: %v", err)
			}
			var p problem.Details
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("problem body %q: %v", body, err)
			}
			want := problem.Details{
				Type:      "about:blank",
				Title:     "Service Unavailable",
				Status:    http.StatusServiceUnavailable,
				Code:      middleware.CodeHandlerTimeout,
				Detail:    "the handler did not answer within " + shortTimeout.String(),
				RequestID: tc.requestID,
			}
			if p != want {
				t.Errorf("problem = %+v, want %+v", p, want)
			}

			releaseOnce()
			o := receive(t, outcomes, "handler outcome")
			if !errors.Is(o.ctxErr, context.DeadlineExceeded) {
				t.Errorf("handler's ctx.Err() = %v, want %v", o.ctxErr, context.DeadlineExceeded)
			}
			if !errors.Is(o.writeErr, http.ErrHandlerTimeout) {
				t.Errorf("late Write error = %v, want %v", o.writeErr, http.ErrHandlerTimeout)
			}
			if !errors.Is(o.flushErr, http.ErrHandlerTimeout) {
				t.Errorf("late Flush error = %v, want %v", o.flushErr, http.ErrHandlerTimeout)
			}
			rest, err := io.ReadAll(resp.Body)
			if err != nil || len(rest) > 0 {
				t.Errorf("after the problem: read %q, %v; want nothing and a clean end", rest, err)
			}
			if v := resp.Header.Get("X-Late"); v != "" {
				t.Errorf("handler's late header reached the client: X-Late = %q", v)
			}
		})
	}
}

// TestTimeoutConnection checks how the answer treats the connection: an
// HTTP/1.1 connection is still held by the handler and is closed, an
// HTTP/2 connection carries other streams and is kept.
func TestTimeoutConnection(t *testing.T) {
	wantClose := map[mode]bool{http1Mode: true, http2Mode: false}
	wantReused := map[mode]bool{http1Mode: false, http2Mode: true}
	run(t, func(t *testing.T, mode mode) {
		ts := newServer(t, mode, middleware.Timeout(shortTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = awaitDeadline(r.Context())
		})))

		first := get(t, ts, mode)
		if _, err := io.Copy(io.Discard, first.Body); err != nil {
			t.Fatal(err)
		}
		if first.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503", first.StatusCode)
		}
		if first.Close != wantClose[mode] {
			t.Errorf("Connection: close = %v, want %v", first.Close, wantClose[mode])
		}

		var reused bool
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, ts.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		second := do(t, ts, mode, req)
		if _, err := io.Copy(io.Discard, second.Body); err != nil {
			t.Fatal(err)
		}
		if reused != wantReused[mode] {
			t.Errorf("next request reused the connection = %v, want %v", reused, wantReused[mode])
		}
	})
}

func TestTimeoutPassesAnswerInTime(t *testing.T) {
	run(t, testTimeoutPassesAnswerInTime)
}

func testTimeoutPassesAnswerInTime(t *testing.T, mode mode) {
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		wantStatus  int
		wantHeader  map[string]string // "" means absent
		wantBody    string
		wantTrailer map[string]string
	}{
		{
			name: "status headers and body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Del("X-Drop")
				w.Header().Set("X-Inner", "in")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "made")
			},
			wantStatus: http.StatusCreated,
			wantHeader: map[string]string{"X-Outer": "out", "X-Inner": "in", "X-Drop": ""},
			wantBody:   "made",
		},
		{
			name: "headers without a write",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Inner", "in")
			},
			wantStatus: http.StatusOK,
			wantHeader: map[string]string{"X-Outer": "out", "X-Inner": "in", "X-Drop": "drop"},
		},
		{
			name: "trailer set after the body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				h.Set("Trailer", "X-Sum")
				_, _ = io.WriteString(w, "data")
				h.Set("X-Sum", "42")
			},
			wantStatus:  http.StatusOK,
			wantHeader:  map[string]string{"X-Outer": "out"},
			wantBody:    "data",
			wantTrailer: map[string]string{"X-Sum": "42"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner := middleware.Timeout(longTimeout)(tc.handler)
			ts := newServer(t, mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Headers set by layers in front of Timeout.
				w.Header().Set("X-Outer", "out")
				w.Header().Set("X-Drop", "drop")
				inner.ServeHTTP(w, r)
			}))

			resp := get(t, ts, mode)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if string(body) != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
			for k, v := range tc.wantTrailer {
				if got := resp.Trailer.Get(k); got != v {
					t.Errorf("trailer %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestTimeoutEarlyHints checks that a 1xx answer does not commit the
// handler: the final answer is still open, so the timeout gives it.
func TestTimeoutEarlyHints(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		ts := newServer(t, mode, middleware.Timeout(shortTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</app.css>; rel=preload; as=style")
			w.WriteHeader(http.StatusEarlyHints)
			_ = awaitDeadline(r.Context())
		})))

		var mu sync.Mutex
		var hints []int
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
			mu.Lock()
			defer mu.Unlock()
			hints = append(hints, code)
			return nil
		}}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, ts.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp := do(t, ts, mode, req)
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(hints) != 1 || hints[0] != http.StatusEarlyHints {
			t.Errorf("1xx answers = %v, want [103]", hints)
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("final status = %d, want 503", resp.StatusCode)
		}
	})
}

// TestTimeoutAnswerDropsHandlerHeaders checks that the 503 carries the
// headers set before the handler ran (the request ID) and none of the
// handler's own, even those an early 1xx answer already sent: a cache
// must not keep the refusal, nor a browser store its cookie.
func TestTimeoutAnswerDropsHandlerHeaders(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		h := middleware.Chain(middleware.RequestID(), middleware.Timeout(shortTimeout))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=86400")
			w.Header().Set("Set-Cookie", "session=1")
			w.Header().Set("Link", "</app.css>; rel=preload; as=style")
			w.WriteHeader(http.StatusEarlyHints)
			_ = awaitDeadline(r.Context())
		}))
		ts := newServer(t, mode, h)
		resp := get(t, ts, mode)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", resp.StatusCode)
		}
		for _, k := range []string{"Cache-Control", "Set-Cookie", "Link"} {
			if v := resp.Header.Get(k); v != "" {
				t.Errorf("503 carries the handler's %s: %q", k, v)
			}
		}
		if p := readProblem(t, resp); p.RequestID == "" || p.RequestID != resp.Header.Get("X-Request-ID") {
			t.Errorf("request ID %q in the body, %q in the header; want the same, set", p.RequestID, resp.Header.Get("X-Request-ID"))
		}
	})
}

// TestTimeoutLeavesStreamingHandler checks that a handler which committed
// to its answer before the deadline keeps writing after it.
func TestTimeoutLeavesStreamingHandler(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		type outcome struct{ ctxErr, writeErr error }
		outcomes := make(chan outcome, 1)
		ts := newServer(t, mode, middleware.Timeout(shortTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "before;")
			_ = http.NewResponseController(w).Flush()
			o := outcome{ctxErr: awaitDeadline(r.Context())}
			_, o.writeErr = io.WriteString(w, "after")
			outcomes <- o
		})))

		resp := get(t, ts, mode)
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		o := receive(t, outcomes, "handler outcome")
		if !errors.Is(o.ctxErr, context.DeadlineExceeded) {
			t.Fatalf("handler's ctx.Err() = %v; the deadline had not passed", o.ctxErr)
		}
		if o.writeErr != nil {
			t.Errorf("Write after the deadline: %v, want nil", o.writeErr)
		}
		if resp.StatusCode != http.StatusOK || string(body) != "before;after" {
			t.Errorf("got %d %q, want 200 %q", resp.StatusCode, body, "before;after")
		}
	})
}

func TestTimeoutFlush(t *testing.T) {
	run(t, testTimeoutFlush)
}

func testTimeoutFlush(t *testing.T, mode mode) {
	tests := []struct {
		name  string
		flush func(http.ResponseWriter) error
	}{
		{"http.Flusher", func(w http.ResponseWriter) error {
			w.(http.Flusher).Flush()
			return nil
		}},
		{"http.ResponseController", func(w http.ResponseWriter) error {
			return http.NewResponseController(w).Flush()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			type outcome struct {
				flushErr    error
				clientSawIt bool
			}
			gotFirst := make(chan struct{})
			outcomes := make(chan outcome, 1)
			ts := newServer(t, mode, middleware.Timeout(longTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "first")
				o := outcome{flushErr: tc.flush(w)}
				// Only a flushed chunk can reach the client while the
				// handler waits here.
				select {
				case <-gotFirst:
					o.clientSawIt = true
				case <-r.Context().Done():
				}
				_, _ = io.WriteString(w, "second")
				outcomes <- o
			})))

			resp := get(t, ts, mode)
			first := make([]byte, len("first"))
			if _, err := io.ReadFull(resp.Body, first); err != nil {
				t.Fatalf("reading the flushed chunk: %v", err)
			}
			close(gotFirst)
			rest, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			o := receive(t, outcomes, "handler outcome")
			if o.flushErr != nil {
				t.Errorf("Flush: %v", o.flushErr)
			}
			if !o.clientSawIt {
				t.Errorf("the client did not receive the flushed chunk while the handler ran")
			}
			if got := string(first) + string(rest); got != "firstsecond" {
				t.Errorf("body = %q, want %q", got, "firstsecond")
			}
		})
	}
}

// TestTimeoutReleasesBodyRead checks that a handler blocked reading a body
// the client never finishes is released when the timeout answers.
func TestTimeoutReleasesBodyRead(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		readErrs := make(chan error, 1)
		ts := newServer(t, mode, middleware.Timeout(shortTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			readErrs <- err
		})))

		pr, pw := io.Pipe()
		// Ending the body frees a handler (and a client) that the timeout
		// did not.
		t.Cleanup(func() { _ = pw.Close() })
		stop := time.AfterFunc(safety, func() { _ = pw.CloseWithError(errors.New("safety deadline")) })
		t.Cleanup(func() { stop.Stop() })
		go func() { _, _ = pw.Write([]byte("partial")) }()
		req, err := http.NewRequest(http.MethodPost, ts.URL, pr)
		if err != nil {
			t.Fatal(err)
		}
		resp := do(t, ts, mode, req)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("status = %d, want 503", resp.StatusCode)
		}
		select {
		case err := <-readErrs:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("handler's body read ended with %v, want %v", err, os.ErrDeadlineExceeded)
			}
		case <-ctxAfter(t):
			t.Fatal("handler still blocked reading the body after the timeout answered")
		}
	})
}

// ctxAfter returns a channel closed after the safety deadline.
func ctxAfter(t *testing.T) <-chan struct{} {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	t.Cleanup(cancel)
	return ctx.Done()
}

// TestTimeoutClientCancel checks that a request the client abandons is not
// answered: the context ends with Canceled, not the deadline.
func TestTimeoutClientCancel(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		started := make(chan struct{})
		ctxErrs := make(chan error, 1)
		written := make(chan []int, 1)
		inner := middleware.Timeout(longTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			select {
			case <-r.Context().Done():
				ctxErrs <- awaitDeadline(r.Context())
			case <-ctxAfter(t):
				ctxErrs <- errors.New("the server never saw the client go")
			}
		}))
		ts := newServer(t, mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			inner.ServeHTTP(rec, r)
			written <- rec.statuses()
		}))

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-started:
			case <-ctx.Done():
			}
			cancel()
		}()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := ts.Client().Do(req); err == nil {
			_ = resp.Body.Close()
			t.Fatalf("request answered %d, want it cancelled", resp.StatusCode)
		}

		if err := receive(t, ctxErrs, "handler outcome"); !errors.Is(err, context.Canceled) {
			t.Errorf("handler's ctx.Err() = %v, want %v", err, context.Canceled)
		}
		if got := receive(t, written, "ServeHTTP return"); len(got) != 0 {
			t.Errorf("statuses written for a cancelled request: %v, want none", got)
		}
	})
}

// statusRecorder records the statuses written through it, from any
// goroutine.
type statusRecorder struct {
	http.ResponseWriter
	mu sync.Mutex
	s  []int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.mu.Lock()
	r.s = append(r.s, code)
	r.mu.Unlock()
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) statuses() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.s...)
}

// TestTimeoutRacesHandlerWrite lets the handler write at the moment of the
// deadline. Exactly one of the two answers must reach the client, whole,
// and the race detector must find nothing: the handler's headers and
// writes never touch what the timeout writes.
func TestTimeoutRacesHandlerWrite(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		ts := newServer(t, mode, middleware.Timeout(time.Millisecond)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			w.Header().Set("X-Late", "1")
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "late")
		})))
		for range 20 {
			resp := get(t, ts, mode)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			switch resp.StatusCode {
			case http.StatusAccepted:
				if string(body) != "late" || resp.Header.Get("X-Late") != "1" {
					t.Errorf("handler's answer: X-Late %q body %q", resp.Header.Get("X-Late"), body)
				}
			case http.StatusServiceUnavailable:
				var p problem.Details
				if err := json.Unmarshal(body, &p); err != nil || p.Code != middleware.CodeHandlerTimeout {
					t.Errorf("timeout answer %q: %v", body, err)
				}
				if v := resp.Header.Get("X-Late"); v != "" {
					t.Errorf("handler's header leaked into the timeout answer: X-Late = %q", v)
				}
			default:
				t.Errorf("status = %d, want 202 or 503", resp.StatusCode)
			}
		}
	})
}

// TestTimeoutHijacked checks that the timeout leaves a hijacked connection
// alone: no answer on it and no read deadline. HTTP/2 has no hijacking.
func TestTimeoutHijacked(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		type hijack struct {
			conn net.Conn
			rw   *bufio.ReadWriter
		}
		hijacks := make(chan hijack, 1)
		returned := make(chan struct{})
		inner := middleware.Timeout(shortTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			_ = awaitDeadline(r.Context())
			hijacks <- hijack{conn, brw}
		}))
		ts := newServer(t, mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, r)
			close(returned)
		}))

		client, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		if _, err := io.WriteString(client, "GET / HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		hj := receive(t, hijacks, "hijacked connection")
		defer hj.conn.Close()
		receive(t, returned, "ServeHTTP return") // the timeout has run

		if _, err := io.WriteString(client, "ping\n"); err != nil {
			t.Fatal(err)
		}
		line := make([]byte, len("ping\n"))
		if _, err := io.ReadFull(hj.rw, line); err != nil || string(line) != "ping\n" {
			t.Fatalf("server read %q, %v from the hijacked connection; want %q", line, err, "ping\n")
		}
		if _, err := hj.rw.WriteString("pong\n"); err != nil {
			t.Fatal(err)
		}
		if err := hj.rw.Flush(); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len("pong\n"))
		if _, err := io.ReadFull(client, got); err != nil || string(got) != "pong\n" {
			t.Errorf("client read %q, %v; want only the handler's %q", got, err, "pong\n")
		}
	}, http1Mode)
}

// TestTimeoutResponseController checks that the connection controls of
// [http.ResponseController] reach the connection through Timeout's
// ResponseWriter.
func TestTimeoutResponseController(t *testing.T) {
	run(t, testTimeoutResponseController)
}

func testTimeoutResponseController(t *testing.T, mode mode) {
	tests := []struct {
		name string
		call func(*http.ResponseController) error
	}{
		{"SetReadDeadline", func(rc *http.ResponseController) error { return rc.SetReadDeadline(time.Time{}) }},
		{"SetWriteDeadline", func(rc *http.ResponseController) error { return rc.SetWriteDeadline(time.Time{}) }},
		{"EnableFullDuplex", func(rc *http.ResponseController) error { return rc.EnableFullDuplex() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := make(chan error, 1)
			ts := newServer(t, mode, middleware.Timeout(longTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				errs <- tc.call(http.NewResponseController(w))
			})))
			resp := get(t, ts, mode)
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatal(err)
			}
			if err := receive(t, errs, "handler outcome"); err != nil {
				t.Errorf("%s through Timeout: %v", tc.name, err)
			}
		})
	}
}

// TestTimeoutPanicStaysOnServingGoroutine checks that a handler's panic
// unwinds through Timeout to recovery middleware in front of it.
func TestTimeoutPanicStaysOnServingGoroutine(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		recovered := make(chan any, 1)
		inner := middleware.Timeout(longTimeout)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("boom")
		}))
		ts := newServer(t, mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				recovered <- recover()
				w.WriteHeader(http.StatusInternalServerError)
			}()
			inner.ServeHTTP(w, r)
		}))

		resp := get(t, ts, mode)
		if got := receive(t, recovered, "recovered value"); got != "boom" {
			t.Errorf("recovered %v, want %q", got, "boom")
		}
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("status = %d, want 500 from the recovery layer", resp.StatusCode)
		}
	})
}

// A handler that reacts to its deadline at once, by writing or by
// returning, may reach the ResponseWriter before the timeout's callback
// does; the deadline has passed all the same, so the answer is the 503.
func TestTimeoutAnswersHandlerThatWakesOnDeadline(t *testing.T) {
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"writes at once", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			w.WriteHeader(http.StatusGatewayTimeout)
			_, _ = io.WriteString(w, "handler's own answer")
		}},
		{"returns at once", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, mode mode) {
				for range 50 { // the race is decided differently from run to run
					ts := newServer(t, mode, middleware.Timeout(5*time.Millisecond)(http.HandlerFunc(tc.handler)))
					resp := get(t, ts, mode)
					if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != problem.ContentType {
						t.Fatalf("%d %q; want the timeout's 503 problem", resp.StatusCode, resp.Header.Get("Content-Type"))
					}
				}
			})
		})
	}
}

// TestTimeoutReportsStatus checks the status Timeout's handler reports to
// a layer in front of it through ServeStatus (limits.Concurrency counts a
// 5xx as a server-side failure): the handler's final status, the 503 the
// timeout answered for it, or none.
func TestTimeoutReportsStatus(t *testing.T) {
	run(t, testTimeoutReportsStatus)
}

func testTimeoutReportsStatus(t *testing.T, mode mode) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    int
	}{
		{"body only", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }, http.StatusOK},
		{"status", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, http.StatusInternalServerError},
		{"flush", func(w http.ResponseWriter, r *http.Request) { http.NewResponseController(w).Flush() }, http.StatusOK},
		{"early hints, then final", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusNoContent)
		}, http.StatusNoContent},
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}, 0},
		{"overrun", func(w http.ResponseWriter, r *http.Request) {
			_ = awaitDeadline(r.Context())
			w.WriteHeader(http.StatusOK) // dropped: the timeout answered
		}, http.StatusServiceUnavailable},
		{"early hints, then overrun", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			_ = awaitDeadline(r.Context())
		}, http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sh, ok := middleware.Timeout(shortTimeout)(tc.handler).(hrw.StatusHandler)
			if !ok {
				t.Fatal("Timeout's handler does not report its status")
			}
			statuses := make(chan int, 1)
			ts := newServer(t, mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				statuses <- sh.ServeStatus(w, r, time.Now())
			}))
			resp := get(t, ts, mode)
			_, _ = io.Copy(io.Discard, resp.Body)
			if got := receive(t, statuses, "status"); got != tc.want {
				t.Errorf("ServeStatus = %d, want %d (the client got %d)", got, tc.want, resp.StatusCode)
			}
		})
	}
}

// TestTimeoutDeadlineFromCallersClock checks that ServeStatus counts the
// handler's time from the time its caller read, not from its own call.
func TestTimeoutDeadlineFromCallersClock(t *testing.T) {
	deadlines := make(chan time.Time, 1)
	sh := middleware.Timeout(longTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := r.Context().Deadline()
		deadlines <- d
	})).(hrw.StatusHandler)
	start := time.Now().Add(-time.Second)
	sh.ServeStatus(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), start)
	if got, want := <-deadlines, start.Add(longTimeout); !got.Equal(want) {
		t.Errorf("deadline %v, want %v: the caller's time plus the timeout", got, want)
	}
}

// TestTimeoutCountsAgainstConcurrencyLimit checks that a handler timeout
// behind limits.Concurrency counts as a server-side failure: a window of
// timed-out requests lowers the adaptive limit by a tenth.
func TestTimeoutCountsAgainstConcurrencyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		h := middleware.Chain(
			limits.Concurrency(limits.ConcurrencyConfig{Max: 100}, limits.WithMeterProvider(mp)),
			middleware.Timeout(time.Second),
		)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = awaitDeadline(r.Context())
		}))
		var wg sync.WaitGroup
		for range 10 { // a window's worth of samples
			wg.Go(func() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
				if w.Code != http.StatusServiceUnavailable {
					t.Errorf("status %d, want the timeout's 503", w.Code)
				}
			})
		}
		wg.Wait()
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		limit := int64(-1)
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if g, ok := m.Data.(metricdata.Gauge[int64]); ok && m.Name == "harden.server.concurrency.limit" {
					limit = g.DataPoints[0].Value
				}
			}
		}
		if limit != 90 {
			t.Errorf("limit after a window of handler timeouts = %d, want 90", limit)
		}
	})
}
