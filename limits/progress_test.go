package limits

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden"
)

// chunked frames body as one chunk per byte, ending with the last chunk.
func chunked(body string) []byte {
	var b strings.Builder
	for _, c := range []byte(body) {
		fmt.Fprintf(&b, "1\r\n%c\r\n", c)
	}
	b.WriteString("0\r\n\r\n")
	return []byte(b.String())
}

func TestProgressCutsSlowBodies(t *testing.T) {
	t.Parallel()
	stallOnly := ProgressConfig{StallTimeout: 200 * harden.Millisecond, MinRate: -1}
	rateOnly := ProgressConfig{StallTimeout: -1, MinRate: 1024, Window: 200 * harden.Millisecond}
	withBody := func(cfg ProgressConfig) func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler { return Body(1 << 20)(Progress(cfg)(h)) }
	}
	writesNothing := func(http.ResponseWriter) {}
	answers500 := func(w http.ResponseWriter) { http.Error(w, "read failed", http.StatusInternalServerError) }

	tests := []struct {
		name    string
		mw      func(http.Handler) http.Handler
		react   func(http.ResponseWriter)
		head    string
		body    []byte
		every   time.Duration // 0: the body is sent at once, then nothing
		stalled bool
	}{
		{"stalled after 10 bytes", Progress(stallOnly), writesNothing,
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", make([]byte, 10), 0, true},
		{"stalled under Body", withBody(stallOnly), writesNothing,
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", make([]byte, 10), 0, true},
		{"stalled chunked", Progress(stallOnly), writesNothing,
			"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", []byte("a\r\n0123456789\r\n"), 0, true},
		{"drip of declared length", Progress(rateOnly), writesNothing,
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n", make([]byte, 400), 20 * time.Millisecond, false},
		{"drip, handler answers 500", Progress(rateOnly), answers500,
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n", make([]byte, 400), 20 * time.Millisecond, false},
		{"drip chunked", Progress(rateOnly), writesNothing,
			"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", chunked(strings.Repeat("x", 66)), 20 * time.Millisecond, false},
		{"drip under Body", withBody(rateOnly), answers500,
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n", make([]byte, 400), 20 * time.Millisecond, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan error, 1)
			ts := newServer(t, http1Mode, tc.mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := io.Copy(io.Discard, r.Body)
				got <- err
				tc.react(w)
			})))
			c := dial(t, ts)
			d := drip(t, c, tc.head, tc.body, tc.every)
			br := bufio.NewReader(c)
			resp, body, sent := readResponse(t, br, d)

			decodeProblem(t, resp, body, http.StatusRequestTimeout, CodeBodyTooSlow)
			if tc.every > 0 && sent == int64(len(tc.body)) {
				t.Errorf("answered only after the whole slow body (%d bytes) was sent", sent)
			}
			if !resp.Close {
				t.Error("408 without Connection: close")
			}
			if closed, err := closedByServer(br); !closed {
				t.Errorf("connection left open after the 408: %v", err)
			}
			err := receive(t, got, "handler read error")
			var slow *SlowBodyError
			if !errors.As(err, &slow) || !errors.Is(err, ErrBodyTooSlow) {
				t.Fatalf("handler read error = %v, want a *SlowBodyError matching ErrBodyTooSlow", err)
			}
			if slow.Stalled != tc.stalled {
				t.Errorf("Stalled = %v, want %v (%v)", slow.Stalled, tc.stalled, slow)
			}
			if slow.Read > int64(len(tc.body)) {
				t.Errorf("Read = %d, more than the %d bytes sent", slow.Read, len(tc.body))
			}
		})
	}
}

func TestProgressCutsStalledBodyHTTP2(t *testing.T) {
	t.Parallel()
	got := make(chan error, 1)
	ts := newServer(t, http2Mode, Progress(ProgressConfig{StallTimeout: 200 * harden.Millisecond, MinRate: -1})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.Copy(io.Discard, r.Body)
			got <- err
		})))
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() })
	go func() { _, _ = pw.Write(make([]byte, 10)) }() // then nothing
	req, err := http.NewRequest(http.MethodPost, ts.URL, pr)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, ts, http2Mode, req)
	decodeProblem(t, resp, body, http.StatusRequestTimeout, CodeBodyTooSlow)
	var slow *SlowBodyError
	if err := receive(t, got, "handler read error"); !errors.As(err, &slow) || !slow.Stalled {
		t.Fatalf("handler read error = %v, want a stalled *SlowBodyError", err)
	}
}

func TestProgressKeepsACommittedResponse(t *testing.T) {
	t.Parallel()
	got := make(chan error, 1)
	ts := newServer(t, http2Mode, Progress(ProgressConfig{StallTimeout: 200 * harden.Millisecond, MinRate: -1})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			http.NewResponseController(w).Flush()
			_, err := io.Copy(io.Discard, r.Body)
			got <- err
			_, _ = io.WriteString(w, "partial")
		})))
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() })
	go func() { _, _ = pw.Write(make([]byte, 10)) }()
	req, err := http.NewRequest(http.MethodPost, ts.URL, pr)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := do(t, ts, http2Mode, req)
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("status = %d, want the handler's 202 sent before the body stalled", resp.StatusCode)
	}
	var slow *SlowBodyError
	if err := receive(t, got, "handler read error"); !errors.As(err, &slow) {
		t.Fatalf("handler read error = %v, want *SlowBodyError", err)
	}
}

func TestProgressPassesFastBodies(t *testing.T) {
	t.Parallel()
	tight := ProgressConfig{StallTimeout: 200 * harden.Millisecond, MinRate: 1024, Window: 200 * harden.Millisecond}
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			run(t, func(t *testing.T, mode mode) {
				ts := newServer(t, mode, Progress(tight)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n, err := io.Copy(io.Discard, r.Body)
					if err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
					fmt.Fprint(w, n)
				})))
				resp, body := do(t, ts, mode, post(t, ts.URL, make([]byte, 1<<20), chunked))
				if resp.StatusCode != http.StatusOK || string(body) != fmt.Sprint(1<<20) {
					t.Fatalf("answer %d %q, want 200 %d", resp.StatusCode, body, 1<<20)
				}
			})
		})
	}
}

func TestProgressPassesSlowButSufficientBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   ProgressConfig
		size  int
		every time.Duration
	}{
		// 10 bytes over ~200 ms is far below 1 KiB/s, but it is the whole
		// body, delivered within one window.
		{"small body sent slowly but completely",
			ProgressConfig{StallTimeout: harden.Second, MinRate: 1024, Window: harden.Second}, 10, 20 * time.Millisecond},
		// About 500 bytes/s against a minimum of 50 bytes/s, across
		// several windows.
		{"slow but above the minimum rate",
			ProgressConfig{StallTimeout: harden.Second, MinRate: 50, Window: 200 * harden.Millisecond}, 300, 2 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newServer(t, http1Mode, Progress(tc.cfg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, err := io.Copy(io.Discard, r.Body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				fmt.Fprint(w, n)
			})))
			c := dial(t, ts)
			head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", tc.size)
			d := drip(t, c, head, make([]byte, tc.size), tc.every)
			resp, body, _ := readResponse(t, bufio.NewReader(c), d)
			if resp.StatusCode != http.StatusOK || string(body) != fmt.Sprint(tc.size) {
				t.Fatalf("answer %d %q, want 200 %d", resp.StatusCode, body, tc.size)
			}
		})
	}
}

// The handler's own time between reads is not the client's: a handler
// that pauses for longer than the stall timeout and the window must not
// see an error, whether the rest of the body arrived during the pause or
// arrives after it.
func TestProgressDoesNotChargeHandlerPauses(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, mode mode) {
		paused, resumed := make(chan struct{}), make(chan struct{})
		ts := newServer(t, mode, Progress(ProgressConfig{
			StallTimeout: 200 * harden.Millisecond, MinRate: 1024, Window: 200 * harden.Millisecond,
		})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			buf := make([]byte, 10)
			if _, err := io.ReadFull(r.Body, buf); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			close(paused)
			time.Sleep(400 * time.Millisecond) // the handler's own work, two windows long
			close(resumed)
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprint(w, 10+n)
		})))
		pr, pw := io.Pipe()
		t.Cleanup(func() { _ = pw.Close() })
		go func() {
			if _, err := pw.Write([]byte("0123456789")); err != nil {
				return
			}
			for _, c := range []chan struct{}{paused, resumed} {
				select {
				case <-c:
				case <-time.After(safety):
				}
				if _, err := pw.Write([]byte("01234")); err != nil {
					return
				}
			}
			_ = pw.Close()
		}()
		req, err := http.NewRequest(http.MethodPost, ts.URL, pr)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := do(t, ts, mode, req)
		if resp.StatusCode != http.StatusOK || string(body) != "20" {
			t.Fatalf("answer %d %q, want 200 \"20\"", resp.StatusCode, body)
		}
	})
}

func TestProgressDoesNotAwaitUnreadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   ProgressConfig
		write []byte
	}{
		// Limits far longer than the drip: only the deadline set after
		// the handler returns ends net/http's discard of the rest.
		{"after the handler returns", ProgressConfig{}, []byte("ok")},
		// A response larger than net/http's buffer is written while the
		// handler runs, after a discard of the unread body: the deadline
		// set at the handler's first write bounds it.
		{"at the handler's first write", ProgressConfig{StallTimeout: 200 * harden.Millisecond, MinRate: -1}, make([]byte, 64<<10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newServer(t, http1Mode, Progress(tc.cfg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(tc.write) // the body is never read
			})))
			c := dial(t, ts)
			d := drip(t, c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", make([]byte, 100), 20*time.Millisecond)
			br := bufio.NewReader(c)
			resp, body, sent := readResponse(t, br, d)
			if resp.StatusCode != http.StatusOK || len(body) != len(tc.write) {
				t.Fatalf("answer %d with %d bytes, want 200 with %d", resp.StatusCode, len(body), len(tc.write))
			}
			if sent == 100 {
				t.Error("the answer waited for the whole unread body to be dripped")
			}
			if closed, err := closedByServer(br); !closed {
				t.Errorf("connection with an unfinished body left open: %v", err)
			}
		})
	}
}

// A body read to its end, or one the handler ignored but that had fully
// arrived, leaves the connection fit for the next request: kept alive,
// and with a live context for the request after it.
func TestProgressKeepsHealthyConnections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		read bool
	}{
		{"body read to the end", true},
		{"unread body already arrived", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			guarded := Progress(ProgressConfig{StallTimeout: 50 * harden.Millisecond, MinRate: -1})(
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tc.read {
						if _, err := io.Copy(io.Discard, r.Body); err != nil {
							http.Error(w, err.Error(), http.StatusInternalServerError)
							return
						}
						// Longer than the stall timeout: no deadline of
						// Progress may outlive the body.
						time.Sleep(100 * time.Millisecond)
					}
					if err := r.Context().Err(); err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
					_, _ = io.WriteString(w, "ok")
				}))
			ts := newServer(t, http1Mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				guarded.ServeHTTP(w, r)
				// Work after the handler, such as an access log's: time
				// for a deadline left behind to hit net/http's
				// background read.
				time.Sleep(50 * time.Millisecond)
			}))
			c := dial(t, ts)
			br := bufio.NewReader(c)
			for i, req := range []string{
				"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
				"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			} {
				if _, err := io.WriteString(c, req); err != nil {
					t.Fatal(err)
				}
				resp, body, _ := readResponse(t, br, nil)
				if resp.StatusCode != http.StatusOK || string(body) != "ok" || resp.Close {
					t.Fatalf("request %d: answer %d %q close=%v, want 200 \"ok\" on a kept connection", i, resp.StatusCode, body, resp.Close)
				}
			}
		})
	}
}

func TestProgressHonoursRequestContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ctx    func(context.Context) (context.Context, context.CancelFunc)
		want   error
		status int
	}{
		{"cancelled before the read", func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return ctx, cancel
		}, context.Canceled, http.StatusBadRequest},
		{"deadline cuts the read", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 200*time.Millisecond)
		}, context.DeadlineExceeded, http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan error, 1)
			guarded := Progress(ProgressConfig{StallTimeout: 10 * harden.Second, MinRate: -1})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := io.Copy(io.Discard, r.Body)
				got <- err
				http.Error(w, "no body", tc.status)
			}))
			ts := newServer(t, http1Mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx, cancel := tc.ctx(r.Context())
				defer cancel()
				guarded.ServeHTTP(w, r.WithContext(ctx))
			}))
			c := dial(t, ts)
			// 10 of 100 bytes, then nothing: only the context can end the read.
			d := drip(t, c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", make([]byte, 10), 0)
			resp, _, _ := readResponse(t, bufio.NewReader(c), d)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want the handler's %d", resp.StatusCode, tc.status)
			}
			err := receive(t, got, "handler read error")
			if !errors.Is(err, tc.want) || errors.Is(err, ErrBodyTooSlow) {
				t.Errorf("handler read error = %v, want one wrapping %v", err, tc.want)
			}
		})
	}
}

// On HTTP/2 a handler may answer before it reads the body (full duplex):
// the time between its first write and its first read is its own.
func TestProgressAllowsFullDuplexHTTP2(t *testing.T) {
	t.Parallel()
	resumed := make(chan struct{})
	ts := newServer(t, http2Mode, Progress(ProgressConfig{StallTimeout: 200 * harden.Millisecond, MinRate: -1})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			http.NewResponseController(w).Flush()
			time.Sleep(400 * time.Millisecond) // the handler's own work, twice the stall timeout
			close(resumed)
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				fmt.Fprint(w, err)
				return
			}
			fmt.Fprint(w, n)
		})))
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() })
	go func() {
		select {
		case <-resumed: // the body is sent only once the handler reads
		case <-time.After(safety):
		}
		_, _ = pw.Write([]byte("0123456789"))
		_ = pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, ts.URL, pr)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, ts, http2Mode, req)
	if resp.StatusCode != http.StatusOK || string(body) != "10" {
		t.Fatalf("answer %d %q, want 200 \"10\"", resp.StatusCode, body)
	}
}

// A handler may hijack the connection and go on reading the body from it
// after it returns; neither guard may cut that connection's reads, even
// after the body crossed Body's limit.
func TestGuardsLeaveHijackedConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mw   func(http.Handler) http.Handler
	}{
		{"Body over its limit", Body(5)},
		{"Progress", Progress(ProgressConfig{StallTimeout: 200 * harden.Millisecond, MinRate: -1})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			returned := make(chan struct{})
			guarded := tc.mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 10)) // what has arrived
				c, brw, err := w.(http.Hijacker).Hijack()
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				go func() {
					defer c.Close() // the client's close at the end of the test ends the read
					if _, err := brw.ReadString('Z'); err != nil {
						return
					}
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
				}()
			}))
			ts := newServer(t, http1Mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				guarded.ServeHTTP(w, r)
				close(returned)
			}))
			c := dial(t, ts)
			if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n"); err != nil {
				t.Fatal(err)
			}
			receive(t, returned, "handler return")
			if _, err := io.WriteString(c, "5\r\naaaaZ\r\n0\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, body, _ := readResponse(t, bufio.NewReader(c), nil)
			if resp.StatusCode != http.StatusOK || string(body) != "ok" {
				t.Fatalf("answer %d %q, want the hijacker's 200 \"ok\"", resp.StatusCode, body)
			}
		})
	}
}
