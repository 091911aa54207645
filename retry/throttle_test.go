package retry

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// The book's formula, step by step: refused with probability
// (requests - K*accepts) / (requests + 1), nothing refused while the host
// accepts more than 1/K of the requests or below the floor.
func TestThrottleProbability(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	th := newThrottle(ThrottleConfig{K: 2, Window: time.Minute, MinPerSecond: -1, MaxRejection: 1}, clock)
	for range 10 {
		th.done("h", false)
	}
	// 10 requests, 0 accepts: p = 10/11 ≈ 0.909.
	if th.allow("h", 0.95) != true || th.allow("h", 0.9) != false {
		t.Errorf("10 refusals of 10: want draws above 10/11 sent and below refused")
	}
	// The refused attempt counted: 11 requests. 11 accepted ones more:
	// 22 requests, 11 accepts, 22 - 2*11 = 0.
	for range 11 {
		th.done("h", true)
	}
	if !th.allow("h", 0) {
		t.Error("host accepting half of 22 requests: an attempt was refused")
	}
	if !th.allow("other", 0) {
		t.Error("another host was throttled")
	}
	now = now.Add(time.Minute)
	for range 10 {
		th.done("h", false)
	}
	if th.allow("h", 0.9) {
		t.Error("the window did not slide: old accepts still count")
	}

	floor := newThrottle(ThrottleConfig{K: 2, Window: 10 * time.Second, MinPerSecond: 1}, clock)
	for range 9 {
		floor.done("h", false)
	}
	if !floor.allow("h", 0) {
		t.Error("9 requests in a 10s window at a floor of 1/s: refused")
	}
	floor.done("h", false)
	if floor.allow("h", 0) {
		t.Error("10 failures at the floor: not refused")
	}
	capped := newThrottle(ThrottleConfig{K: 2, Window: time.Minute, MinPerSecond: -1, MaxRejection: 0.8}, clock)
	for range 100 {
		capped.done("h", false)
	}
	if !capped.allow("h", 0.8) || capped.allow("h", 0.79) {
		t.Error("100 failures with max_rejection 0.8: want draws from 0.8 up sent, below refused")
	}
	off := newThrottle(ThrottleConfig{K: -1, Window: time.Second}, clock)
	for range 100 {
		off.done("h", false)
	}
	if !off.allow("h", 0) {
		t.Error("K -1 still throttles")
	}
}

// cycle returns a deterministic uniform draw: 0, 0.01, ... 0.99, 0, ...
func cycle() func() float64 {
	var n atomic.Int64
	return func() float64 { return float64(n.Add(1)%100) / 100 }
}

// A host that fails every request receives, with throttling, about K
// times what it accepts (nothing) plus the probes; the rest are refused
// locally with ErrThrottled. Once the window has passed the outage, every
// request goes out again. Retries count as requests: a retry the throttle
// refuses hands back the last answer, not ErrThrottled.
func TestThrottleBacksOffFailingHost(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	srv := newServer(t, "h1", func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})
	clk := &fakeClock{}
	p := fastPolicy()
	p.MaxAttempts = 2
	p.Throttle = ThrottleConfig{Window: 10 * time.Second, MinPerSecond: -1, MaxRejection: -1}
	tr := mustTransport(t, srv.base(t), p, withClock(clk), withRand(cycle()))
	const requests = 500
	var throttled, unavailable int
	for range requests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		switch {
		case errors.Is(err, ErrThrottled):
			throttled++
		case err != nil:
			t.Fatalf("unexpected error: %v", err)
		default:
			if resp.StatusCode == http.StatusServiceUnavailable {
				unavailable++
			}
			drain(resp.Body)
		}
	}
	hits := srv.hits.Load()
	t.Logf("%d requests: %d reached the host (%d attempts), %d refused locally", requests, unavailable, hits, throttled)
	if throttled < requests*9/10 {
		t.Errorf("%d of %d requests throttled, want at least 90%%", throttled, requests)
	}
	if hits > requests/5 {
		t.Errorf("%d attempts reached a failing host for %d requests, want at most a fifth", hits, requests)
	}
	// Each request the host answered had one attempt: its retry, refused
	// by the throttle, handed back the 503 rather than ErrThrottled.
	if unavailable == 0 || int64(unavailable) != hits {
		t.Errorf("%d requests answered 503 in %d attempts, want one attempt each", unavailable, hits)
	}

	failing.Store(false)
	clk.mu.Lock()
	clk.offset += 10 * time.Second
	clk.mu.Unlock()
	for i := range 10 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("request %d after the window: %v", i, err)
		}
		drain(resp.Body)
	}
}

// The test a new user writes: the default policy against a host that
// always answers 503 throttles first attempts, and the error says so.
func TestThrottleDefaultPolicy(t *testing.T) {
	srv := newServer(t, "h1", failN(1<<30, http.StatusServiceUnavailable))
	p := DefaultPolicy()
	p.InitialBackoff, p.MaxBackoff = time.Millisecond, time.Millisecond
	tr := mustTransport(t, srv.base(t), p, withClock(&fakeClock{}))
	const requests = 400
	var throttled int
	for range requests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		if errors.Is(err, ErrThrottled) {
			throttled++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		drain(resp.Body)
	}
	if throttled == 0 {
		t.Fatalf("%d requests to a host failing all of them: none throttled (%d attempts sent)", requests, srv.hits.Load())
	}
	t.Logf("%d of %d throttled, %d attempts sent", throttled, requests, srv.hits.Load())
}

func TestThrottleValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*Policy)
		field string
	}{
		{"k below 1", func(p *Policy) { p.Throttle.K = 0.5 }, "client.retry.throttle.k"},
		{"window below 1s", func(p *Policy) { p.Throttle.Window = 500 * time.Millisecond }, "client.retry.throttle.window"},
		{"max_rejection above 1", func(p *Policy) { p.Throttle.MaxRejection = 1.5 }, "client.retry.throttle.max_rejection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Policy
			tc.set(&p)
			var ce *ConfigError
			if err := p.Validate(); !errors.As(err, &ce) || ce.Field != tc.field || ce.Rule != RuleRange {
				t.Errorf("Validate() = %v, want %s %s", err, tc.field, RuleRange)
			}
		})
	}
	var off Policy
	off.Throttle.K = -1
	if err := off.Validate(); err != nil {
		t.Errorf("k -1 (off): %v", err)
	}
}
