package limits

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/harden-go/harden"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// step is one read of a scripted body: the handler first spends pause on
// its own work, then its read waits for the client for wait and returns n
// bytes and err.
type step struct {
	pause time.Duration
	wait  time.Duration
	n     int
	err   error
}

// scriptedBody plays steps, moving the clock by each read's wait.
type scriptedBody struct {
	clock *fakeClock
	steps []step
	reads int
}

func (b *scriptedBody) Read(p []byte) (int, error) {
	if b.reads >= len(b.steps) {
		return 0, fmt.Errorf("read %d beyond the script", b.reads)
	}
	s := b.steps[b.reads]
	b.reads++
	b.clock.advance(s.wait)
	return min(s.n, len(p)), s.err
}

func (b *scriptedBody) Close() error { return nil }

// errTimeout is what a read cut by its deadline returns.
var errTimeout = fmt.Errorf("read: %w", os.ErrDeadlineExceeded)

func TestProgressWindows(t *testing.T) {
	type result struct {
		stalled bool
		read    int64
		elapsed time.Duration
	}
	rate100 := ProgressConfig{StallTimeout: 10 * harden.Second, MinRate: 100, Window: harden.Second}
	tests := []struct {
		name        string
		cfg         ProgressConfig
		length      int64
		noDeadlines bool
		steps       []step
		want        *result // nil: the body is read to EOF without error
	}{
		{"steady rate above the minimum", rate100, -1, false,
			append(repeatStep(step{wait: 100 * time.Millisecond, n: 20}, 30), step{err: io.EOF}), nil},
		{"a window short of its due", rate100, -1, false,
			// The fifth read's bytes arrive as the window ends: they count
			// for the next window, and this one brought only 40 of 100.
			repeatStep(step{wait: 200 * time.Millisecond, n: 10}, 5),
			&result{false, 50, time.Second}},
		{"read cut at the end of the window", rate100, -1, false,
			[]step{{wait: 100 * time.Millisecond, n: 50}, {wait: 900 * time.Millisecond, err: errTimeout}},
			&result{false, 50, time.Second}},
		{"whole windows without a byte", rate100, -1, true,
			[]step{{wait: 100 * time.Millisecond, n: 200}, {wait: 2500 * time.Millisecond, n: 1}},
			&result{false, 201, 2600 * time.Millisecond}},
		{"stall cut by its deadline", ProgressConfig{StallTimeout: harden.Second, MinRate: -1}, -1, false,
			[]step{{n: 10}, {wait: time.Second, err: errTimeout}},
			&result{true, 10, time.Second}},
		{"stall found after the read without deadlines", ProgressConfig{StallTimeout: harden.Second, MinRate: -1}, -1, true,
			[]step{{n: 10}, {wait: 1500 * time.Millisecond}},
			&result{true, 10, 1500 * time.Millisecond}},
		{"handler pauses are not charged", ProgressConfig{StallTimeout: harden.Second, MinRate: 100, Window: harden.Second}, -1, false,
			[]step{{wait: 100 * time.Millisecond, n: 10}, {pause: 5 * time.Second, wait: 100 * time.Millisecond, n: 10}, {pause: 5 * time.Second, err: io.EOF}}, nil},
		{"small body sent slowly but completely", ProgressConfig{StallTimeout: harden.Second, MinRate: 1024, Window: harden.Second}, 10, false,
			append(repeatStep(step{wait: 90 * time.Millisecond, n: 1}, 9), step{wait: 90 * time.Millisecond, n: 1, err: io.EOF}), nil},
		{"rate check disabled by a negative window", ProgressConfig{StallTimeout: harden.Second, MinRate: 1024, Window: -1}, -1, false,
			append(repeatStep(step{wait: 900 * time.Millisecond, n: 1}, 20), step{err: io.EOF}), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1000, 0)}
			body := &scriptedBody{clock: clock, steps: tc.steps}
			r := httptest.NewRequest(http.MethodPost, "/", body)
			r.ContentLength = tc.length
			w := newFakeWriter()
			w.noDeadlines = tc.noDeadlines
			g := newGuard(w, r)
			p := newProgressReader(w, r, g, tc.cfg.settings(), clock.now)

			var err error
			buf := make([]byte, 512)
			for _, s := range tc.steps {
				clock.advance(s.pause)
				if _, err = p.Read(buf); err != nil {
					break
				}
			}
			if tc.want == nil {
				if err != io.EOF {
					t.Fatalf("read error = %v, want io.EOF", err)
				}
				if g.hasTripped() {
					t.Fatal("guard tripped for an acceptable body")
				}
				return
			}
			var slow *SlowBodyError
			if !errors.As(err, &slow) {
				t.Fatalf("read error = %v, want *SlowBodyError", err)
			}
			if got := (result{slow.Stalled, slow.Read, slow.Elapsed}); got != *tc.want {
				t.Errorf("error = %+v, want %+v", got, *tc.want)
			}
			if again, _ := p.Read(buf); again != 0 {
				t.Error("a read after the failure returned bytes")
			}
			if _, again := p.Read(buf); again != err {
				t.Errorf("a later read returned %v, want the same error", again)
			}
			if !g.hasTripped() {
				t.Error("guard not tripped")
			}
			if !tc.noDeadlines && !w.deadlines[len(w.deadlines)-1].Equal(longAgo) {
				t.Errorf("last read deadline %v, want the past so nothing more is read", w.deadlines[len(w.deadlines)-1])
			}
		})
	}
}

func repeatStep(s step, n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestProgressDeadlines(t *testing.T) {
	start := time.Unix(1000, 0)
	set := ProgressConfig{StallTimeout: 3 * harden.Second, MinRate: 100, Window: 10 * harden.Second}.settings()
	tests := []struct {
		name  string
		p     *progressReader
		want  time.Time
		cause cause
	}{
		{"stall since the last byte", &progressReader{set: set, waited: 5 * time.Second, lastByte: 4 * time.Second, winNeed: 1000},
			start.Add(2 * time.Second), causeStall},
		{"end of a window short of its due", &progressReader{set: set, waited: 9 * time.Second, lastByte: 9 * time.Second, winNeed: 1000, winRead: 10},
			start.Add(time.Second), causeWindow},
		{"a settled window waits for the next one's end", &progressReader{set: set.withStall(0), waited: 9 * time.Second, winNeed: 1000, winRead: 1000},
			start.Add(11 * time.Second), causeWindow},
		{"due capped at the rest of a known length", &progressReader{set: set.withStall(0), expect: 10, total: 10, waited: 9 * time.Second, winNeed: 0},
			start.Add(11 * time.Second), causeWindow},
		{"request deadline", &progressReader{set: set, winNeed: 1000, ctxDeadline: start.Add(time.Second)},
			start.Add(time.Second), causeCtx},
		{"server read timeout", &progressReader{set: set, winNeed: 1000, srvDeadline: start.Add(time.Second)},
			start.Add(time.Second), causeServer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := tc.p.deadlineLocked(start)
			if !got.Equal(tc.want) || why != tc.cause {
				t.Errorf("deadline = %v (cause %d), want %v (cause %d)", got.Sub(start), why, tc.want.Sub(start), tc.cause)
			}
		})
	}
}

func (s progressSettings) withStall(d time.Duration) progressSettings {
	s.stall = d
	return s
}

func TestProgressDueCappedAtRestOfBody(t *testing.T) {
	set := ProgressConfig{MinRate: 1024, Window: harden.Second}.settings()
	tests := []struct {
		name          string
		expect, total int64
		want          int64
	}{
		{"unknown length", -1, 0, 1024},
		{"more to come than a window's due", 5000, 0, 1024},
		{"less to come", 5000, 4990, 10},
		{"all read", 5000, 5000, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &progressReader{set: set, expect: tc.expect, total: tc.total}
			if got := p.needLocked(); got != tc.want {
				t.Errorf("due = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestProgressSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  ProgressConfig
		want progressSettings
	}{
		{"zero is the default", ProgressConfig{}, progressSettings{10 * time.Second, 1024, 10 * time.Second, 10240}},
		{"negative stall disables it", ProgressConfig{StallTimeout: -1}, progressSettings{0, 1024, 10 * time.Second, 10240}},
		{"negative rate disables it", ProgressConfig{MinRate: -1}, progressSettings{10 * time.Second, 0, 0, 0}},
		{"negative window disables the rate", ProgressConfig{Window: -1}, progressSettings{10 * time.Second, 0, 0, 0}},
		{"due rounds up", ProgressConfig{MinRate: 1, Window: harden.Millisecond}, progressSettings{10 * time.Second, 1, time.Millisecond, 1}},
		{"due saturates", ProgressConfig{MinRate: math.MaxInt64, Window: harden.Hour}, progressSettings{10 * time.Second, math.MaxInt64, time.Hour, math.MaxInt64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.settings(); got != tc.want {
				t.Errorf("settings = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestProgressDisabledIsPassThrough(t *testing.T) {
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	got := Progress(ProgressConfig{StallTimeout: -1, MinRate: -1})(h)
	if fmt.Sprintf("%p", got) != fmt.Sprintf("%p", h) {
		t.Error("Progress with every check disabled wrapped the handler")
	}
}

func TestProgressContextErrorWrapped(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", &scriptedBody{clock: clock})
	w := newFakeWriter()
	p := newProgressReader(w, r, newGuard(w, r), ProgressConfig{}.settings(), clock.now)
	if _, err := p.Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("read error = %v, want one wrapping context.Canceled", err)
	}
}

func TestSlowBodyError(t *testing.T) {
	tests := []struct {
		name string
		err  *SlowBodyError
		want string
	}{
		{"stalled", &SlowBodyError{Stalled: true, Read: 10, Elapsed: 10 * time.Second, MinRate: 1024, Window: 10 * time.Second},
			"limits: request body too slow: no byte arrived within the stall timeout, after 10 bytes in 10s"},
		{"below the rate", &SlowBodyError{Read: 37, Elapsed: 10 * time.Second, MinRate: 1024, Window: 10 * time.Second},
			"limits: request body too slow: 37 bytes in 10s, below the minimum of 1024 bytes/s over each 10s window"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			wrapped := fmt.Errorf("decoding upload: %w", tc.err)
			var slow *SlowBodyError
			if !errors.Is(wrapped, ErrBodyTooSlow) || !errors.As(wrapped, &slow) || slow != tc.err {
				t.Error("wrapped error does not match ErrBodyTooSlow and *SlowBodyError")
			}
			if !os.IsTimeout(tc.err) || !tc.err.Timeout() {
				t.Error("a slow body is not reported as a timeout")
			}
		})
	}
}

// newProgressReader returns the body of r under Progress with settings
// set, answered for by g.
func newProgressReader(w http.ResponseWriter, r *http.Request, g *guard, set progressSettings, now func() time.Time) *progressReader {
	p := &progressReader{}
	p.init(w, r, g, set, now)
	return p
}
