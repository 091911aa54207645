package limits

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/harden-go/harden/internal/problem"
)

// fakeWriter is a ResponseWriter that records what reaches it, including
// read deadlines; with noDeadlines it answers them as net/http does for
// writers that cannot set them.
type fakeWriter struct {
	h           http.Header
	codes       []int
	body        bytes.Buffer
	flushes     int
	deadlines   []time.Time
	noDeadlines bool
}

func newFakeWriter() *fakeWriter { return &fakeWriter{h: make(http.Header)} }

func (w *fakeWriter) Header() http.Header { return w.h }
func (w *fakeWriter) WriteHeader(code int) {
	w.codes = append(w.codes, code)
}
func (w *fakeWriter) Write(p []byte) (int, error) {
	if len(w.codes) == 0 || w.codes[len(w.codes)-1] < 200 {
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(p)
}
func (w *fakeWriter) Flush() { w.flushes++ }
func (w *fakeWriter) SetReadDeadline(d time.Time) error {
	if w.noDeadlines {
		return fmt.Errorf("%w", http.ErrNotSupported)
	}
	w.deadlines = append(w.deadlines, d)
	return nil
}

var errTripped = errors.New("tripped")

func TestGuard(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(g *guard) error // returns the error of the handler's last write
		wantCodes []int
		wantBody  string // "problem": the guard's answer
		wantErr   error
	}{
		{"trip, then WriteHeader", func(g *guard) error {
			g.trip(http.StatusRequestTimeout, CodeBodyTooSlow, "slow", errTripped)
			g.Header().Set("Cache-Control", "max-age=60")
			g.WriteHeader(http.StatusInternalServerError)
			_, err := g.Write([]byte("handler output"))
			return err
		}, []int{http.StatusRequestTimeout}, "problem", errTripped},
		{"trip, then Write", func(g *guard) error {
			g.trip(http.StatusRequestTimeout, CodeBodyTooSlow, "slow", errTripped)
			_, err := g.Write([]byte("handler output"))
			return err
		}, []int{http.StatusRequestTimeout}, "problem", errTripped},
		{"trip, then Flush", func(g *guard) error {
			g.trip(http.StatusRequestTimeout, CodeBodyTooSlow, "slow", errTripped)
			g.Flush()
			_, err := g.Write([]byte("handler output"))
			return err
		}, []int{http.StatusRequestTimeout}, "problem", errTripped},
		{"trip, then nothing", func(g *guard) error {
			g.trip(http.StatusRequestTimeout, CodeBodyTooSlow, "slow", errTripped)
			return nil
		}, []int{http.StatusRequestTimeout}, "problem", nil},
		{"second trip ignored", func(g *guard) error {
			g.trip(http.StatusRequestTimeout, CodeBodyTooSlow, "slow", errTripped)
			g.trip(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "large", errors.New("other"))
			_, err := g.Write([]byte("x"))
			return err
		}, []int{http.StatusRequestTimeout}, "problem", errTripped},
		{"informational header, then trip", func(g *guard) error {
			g.WriteHeader(http.StatusEarlyHints)
			g.trip(http.StatusRequestTimeout, CodeBodyTooSlow, "slow", errTripped)
			g.WriteHeader(http.StatusOK)
			return nil
		}, []int{http.StatusEarlyHints, http.StatusRequestTimeout}, "problem", nil},
		{"commit, then trip", func(g *guard) error {
			g.WriteHeader(http.StatusAccepted)
			g.trip(http.StatusRequestTimeout, CodeBodyTooSlow, "slow", errTripped)
			_, err := g.Write([]byte("handler output"))
			return err
		}, []int{http.StatusAccepted}, "handler output", nil},
		{"no trip", func(g *guard) error {
			_, err := g.Write([]byte("handler output"))
			return err
		}, []int{http.StatusOK}, "handler output", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWriter()
			w.Header().Set("X-Request-Id", "abc") // set by a middleware outside
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			g := newGuard(w, r)
			var commits commitCounter
			g.onCommit = &commits

			err := tc.handler(g)
			g.finish()

			if fmt.Sprint(w.codes) != fmt.Sprint(tc.wantCodes) {
				t.Errorf("codes = %v, want %v", w.codes, tc.wantCodes)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("handler's write error = %v, want %v", err, tc.wantErr)
			}
			if w.Header().Get("X-Request-Id") != "abc" {
				t.Error("a header set before the handler was lost")
			}
			if tc.wantBody != "problem" {
				if w.body.String() != tc.wantBody {
					t.Errorf("body = %q, want %q", w.body.String(), tc.wantBody)
				}
				if commits != 1 {
					t.Errorf("commit hook ran %d times, want once", commits)
				}
				return
			}
			var p problem.Details
			if err := json.Unmarshal(w.body.Bytes(), &p); err != nil || p.Code != CodeBodyTooSlow || p.Detail != "slow" {
				t.Errorf("body = %q, want the guard's problem answer", w.body.String())
			}
			h := w.Header()
			if h.Get("Content-Type") != problem.ContentType || h.Get("Connection") != "close" || h.Get("Cache-Control") != "" {
				t.Errorf("answer headers = %v, want problem+json, Connection: close and none of the handler's", h)
			}
			if commits != 0 {
				t.Errorf("commit hook ran %d times for the guard's own answer", commits)
			}
		})
	}
}

func TestGuardUnwrap(t *testing.T) {
	w := newFakeWriter()
	g := newGuard(w, httptest.NewRequest(http.MethodPost, "/", nil))
	if g.Unwrap() != http.ResponseWriter(w) {
		t.Fatal("Unwrap does not return the wrapped ResponseWriter")
	}
	if err := http.NewResponseController(g).SetReadDeadline(time.Unix(5, 0)); err != nil || len(w.deadlines) != 1 {
		t.Fatalf("SetReadDeadline through the guard = %v, %d deadlines reached the writer", err, len(w.deadlines))
	}
	if err := http.NewResponseController(g).Flush(); err != nil || w.flushes != 1 {
		t.Fatalf("Flush through the guard = %v, %d flushes reached the writer", err, w.flushes)
	}
}

// newGuard returns a guard of w for r, as Body and Progress set one up.
func newGuard(w http.ResponseWriter, r *http.Request) *guard {
	g := &guard{}
	g.init(w, r, nil)
	return g
}

// commitCounter counts the commits a guard reports.
type commitCounter int

func (c *commitCounter) committed() { *c++ }
