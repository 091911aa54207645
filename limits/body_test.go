package limits

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/servertest"
)

func TestBodyRefusesDeclaredLengthBeforeReading(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		max    harden.Bytes
		head   string
		detail string
	}{
		{"above the limit", 1 << 20,
			"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n",
			"10485760 bytes; the limit is 1048576 bytes"},
		{"expect 100-continue", 1 << 20,
			"POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10485760\r\n\r\n",
			"the limit is 1048576 bytes"},
		{"whole body sent with the headers", 1000,
			"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + strings.Repeat("x", 2000),
			"2000 bytes; the limit is 1000 bytes"},
		{"zero allows only empty bodies", 0,
			"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n",
			"the limit is 0 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan readResult, 1)
			ts := newServer(t, http1Mode, Body(tc.max)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, err := io.Copy(io.Discard, r.Body)
				got <- readResult{n, err}
			})))
			c := dial(t, ts)
			// Mostly headers only: the answer must come without the
			// server waiting for, or reading, a single body byte.
			if _, err := io.WriteString(c, tc.head); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			resp, body, _ := readResponse(t, br, nil)
			p := decodeProblem(t, resp, body, http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tc.detail)
			}
			if !resp.Close {
				t.Error("413 without Connection: close; the unread body would be parsed as the next request")
			}
			wantRefusedRead(t, <-got)
			if closed, err := closedByServer(br); !closed {
				t.Errorf("connection left open after the 413: %v", err)
			}
		})
	}
}

func TestBodyRefusesDeclaredLengthHTTP2(t *testing.T) {
	t.Parallel()
	got := make(chan readResult, 1)
	ts := newServer(t, http2Mode, Body(1<<10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		got <- readResult{n, err}
	})))
	resp, body := do(t, ts, http2Mode, post(t, ts.URL, make([]byte, 1<<20), false))
	decodeProblem(t, resp, body, http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
	wantRefusedRead(t, <-got)
}

type readResult struct {
	n   int64
	err error
}

// wantRefusedRead checks that the handler's read of an oversized declared
// body failed with *http.MaxBytesError before yielding a byte.
func wantRefusedRead(t *testing.T, r readResult) {
	t.Helper()
	var mbe *http.MaxBytesError
	if r.n != 0 || !errors.As(r.err, &mbe) {
		t.Errorf("handler read %d bytes, error %v; want 0 bytes and *http.MaxBytesError", r.n, r.err)
	}
}

// overLimitHandlers are the ways a handler may react to a body read that
// crossed the limit; whatever it does, the client must get the 413.
var overLimitHandlers = []struct {
	name  string
	react func(w http.ResponseWriter) error // returns the error of its Write, if any
}{
	{"writes nothing", func(w http.ResponseWriter) error { return nil }},
	{"answers with its own error", func(w http.ResponseWriter) error {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		_, err := io.WriteString(w, "read failed")
		return err
	}},
	{"answers 200 with cache headers", func(w http.ResponseWriter) error {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, err := io.WriteString(w, "stored")
		return err
	}},
	{"flushes", func(w http.ResponseWriter) error {
		http.NewResponseController(w).Flush()
		return nil
	}},
}

func TestBodyCutsUndeclaredLengthAtLimit(t *testing.T) {
	t.Parallel()
	const limit = 1000
	for _, h := range overLimitHandlers {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			run(t, func(t *testing.T, mode mode) {
				type result struct{ read, write error }
				got := make(chan result, 1)
				ts := newServer(t, mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("X-Before", "kept") // set outside the limit
					Body(limit)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						_, read := io.Copy(io.Discard, r.Body)
						got <- result{read, h.react(w)}
					})).ServeHTTP(w, r)
				}))
				resp, body := do(t, ts, mode, post(t, ts.URL, make([]byte, 5*limit), true))
				res := receive(t, got, "handler result")

				p := decodeProblem(t, resp, body, http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
				if want := fmt.Sprintf("limit of %d bytes", limit); !strings.Contains(p.Detail, want) {
					t.Errorf("detail = %q, want it to name the %s", p.Detail, want)
				}
				var tooLarge *http.MaxBytesError
				if !errors.As(res.read, &tooLarge) || tooLarge.Limit != limit {
					t.Errorf("handler read error = %v, want *http.MaxBytesError with Limit %d", res.read, limit)
				}
				if res.write != nil && !errors.As(res.write, &tooLarge) {
					t.Errorf("handler write error = %v, want nil or the *http.MaxBytesError", res.write)
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "" {
					t.Errorf("the 413 carries the handler's Cache-Control %q", cc)
				}
				if got := resp.Header.Get("X-Before"); got != "kept" {
					t.Errorf("X-Before = %q; headers set before the limit must be kept", got)
				}
				if mode == http1Mode && !resp.Close {
					t.Error("413 without Connection: close on HTTP/1.1")
				}
			})
		})
	}
}

func TestBodyPassesBodiesWithinLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		max     harden.Bytes
		size    int
		chunked bool
	}{
		{"declared length at the limit", 1000, 1000, false},
		{"chunked at the limit", 1000, 1000, true},
		{"zero and empty", 0, 0, false},
		{"negative disables", -1, 1 << 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, func(t *testing.T, mode mode) {
				ts := newServer(t, mode, Body(tc.max)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n, err := io.Copy(io.Discard, r.Body)
					if err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
					fmt.Fprint(w, n)
				})))
				resp, body := do(t, ts, mode, post(t, ts.URL, make([]byte, tc.size), tc.chunked))
				if resp.StatusCode != http.StatusOK || string(body) != fmt.Sprint(tc.size) {
					t.Fatalf("answer %d %q, want 200 %q", resp.StatusCode, body, fmt.Sprint(tc.size))
				}
			})
		})
	}
}

func TestBodyPerRouteLimits(t *testing.T) {
	t.Parallel()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return // the 413 is Body's to write
		}
		fmt.Fprint(w, n)
	})
	mux := http.NewServeMux()
	// A route loosens the server-wide limit, another tightens it.
	mux.Handle("POST /upload", Body(10<<20)(echo))
	mux.Handle("POST /small", Body(1000)(echo))
	mux.Handle("POST /unlimited", Body(-1)(echo))
	mux.Handle("POST /api", echo)
	// Nested limits: the innermost decides, whichever is smaller.
	mux.Handle("POST /inner-smaller", Body(1000)(Body(100)(echo)))
	mux.Handle("POST /inner-larger", Body(100)(Body(1000)(echo)))
	server := Body(1 << 20)(mux)

	tests := []struct {
		path    string
		size    int
		chunked bool
		status  int
		detail  string
	}{
		{"/upload", 2 << 20, false, http.StatusOK, ""},
		{"/upload", 2 << 20, true, http.StatusOK, ""},
		{"/unlimited", 2 << 20, true, http.StatusOK, ""},
		{"/api", 2 << 20, false, http.StatusRequestEntityTooLarge, "the limit is 1048576 bytes"},
		{"/api", 2 << 20, true, http.StatusRequestEntityTooLarge, "limit of 1048576 bytes"},
		{"/small", 2000, false, http.StatusRequestEntityTooLarge, "the limit is 1000 bytes"},
		{"/small", 2000, true, http.StatusRequestEntityTooLarge, "limit of 1000 bytes"},
		{"/inner-smaller", 500, false, http.StatusRequestEntityTooLarge, "the limit is 100 bytes"},
		{"/inner-smaller", 500, true, http.StatusRequestEntityTooLarge, "limit of 100 bytes"},
		{"/inner-larger", 500, false, http.StatusOK, ""},
		{"/inner-larger", 500, true, http.StatusOK, ""},
	}
	ts := newServer(t, http2Mode, server) // HTTP/2: the client reads early answers while it still sends
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %d chunked=%v", tc.path, tc.size, tc.chunked), func(t *testing.T) {
			resp, body := do(t, ts, http2Mode, post(t, ts.URL+tc.path, make([]byte, tc.size), tc.chunked))
			if tc.status == http.StatusOK {
				if resp.StatusCode != http.StatusOK || string(body) != fmt.Sprint(tc.size) {
					t.Fatalf("answer %d %q, want 200 %q", resp.StatusCode, body, fmt.Sprint(tc.size))
				}
				return
			}
			p := decodeProblem(t, resp, body, tc.status, CodeBodyTooLarge)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tc.detail)
			}
		})
	}
}

// guards are the middlewares whose ResponseWriter must keep the
// connection's features reachable.
var guards = []struct {
	name string
	mw   func(http.Handler) http.Handler
}{
	{"Body", Body(1 << 20)},
	{"Progress", Progress(ProgressConfig{})},
	{"Body and Progress", func(h http.Handler) http.Handler { return Body(1 << 20)(Progress(ProgressConfig{})(h)) }},
}

func TestGuardsKeepFlushAndResponseController(t *testing.T) {
	t.Parallel()
	for _, g := range guards {
		t.Run(g.name, func(t *testing.T) {
			run(t, func(t *testing.T, mode mode) {
				step := make(chan struct{})
				errs := make(chan error, 4)
				ts := newServer(t, mode, g.mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if _, err := io.Copy(io.Discard, r.Body); err != nil {
						errs <- err
						return
					}
					rc := http.NewResponseController(w)
					errs <- rc.SetReadDeadline(time.Time{})
					errs <- rc.SetWriteDeadline(time.Now().Add(safety))
					_, _ = io.WriteString(w, "first\n")
					w.(http.Flusher).Flush()
					wait(r, step) // the client has read "first": Flush reached it
					_, _ = io.WriteString(w, "second\n")
					errs <- rc.Flush()
					wait(r, step)
				})))
				ctx, cancel := contextWithSafety()
				defer cancel()
				req := post(t, ts.URL, []byte("hello"), true).WithContext(ctx)
				resp, err := ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				br := bufio.NewReader(resp.Body)
				for _, want := range []string{"first\n", "second\n"} {
					line, err := br.ReadString('\n')
					if line != want {
						t.Fatalf("read %q, %v; want %q flushed while the handler waits", line, err, want)
					}
					step <- struct{}{}
				}
				for i := range 3 {
					if err := receive(t, errs, "ResponseController result"); err != nil {
						t.Errorf("ResponseController call %d: %v", i, err)
					}
				}
			})
		})
	}
}

// Both guards hand the handler a copy of the request; a multipart form
// parsed from it must still have its temporary files removed by net/http.
func TestGuardsKeepMultipartCleanup(t *testing.T) {
	for _, g := range guards {
		t.Run(g.name, func(t *testing.T) { servertest.CheckMultipartCleanup(t, g.mw) })
	}
}
