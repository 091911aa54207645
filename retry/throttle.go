package retry

import (
	"errors"
	"net/http"
	"time"
)

// ErrThrottled is returned, wrapped in an [*Error], when adaptive
// throttling refuses a request locally because the host has been
// refusing most requests of late ([ThrottleConfig]). Nothing was sent.
// Match it with errors.Is.
var ErrThrottled = errors.New("retry: throttled locally: the host has been rejecting most requests")

// ThrottleConfig is client-side adaptive throttling as Google's SRE book
// describes it (chapter 21, "Handling Overload"): per host, over a sliding
// Window, each attempt (first or retry) is refused locally with
// probability max(0, (requests - K*accepts) / (requests + 1)), where
// requests counts the attempts the client wanted to send, refused ones
// included, and accepts those the host answered with anything but an
// overload signal (429, 503, or no answer: a timeout or a failed
// connection). While the host accepts more than 1/K of the requests
// nothing is refused; when it refuses everything, the client's load on it
// falls towards K times what it accepts, and returns as the host does.
type ThrottleConfig struct {
	// K is how many requests per accepted one the client sends before
	// refusing some locally. Zero: 2, the book's value. Lower values
	// throttle sooner; at least 1. Negative: no throttling.
	K float64 `yaml:"k" json:"k"`

	// Window is the span over which requests and accepts are counted.
	// Zero: 2m, the book's history length. At least 1s.
	Window time.Duration `yaml:"window" json:"window"`

	// MinPerSecond is the request rate below which nothing is refused,
	// so that the few failures of a quiet client do not throttle it: after
	// one refused request the formula alone would refuse half of the
	// next ones. It plays the part of Envoy's admission control
	// rps_threshold. Zero: 1. Negative: no floor.
	MinPerSecond float64 `yaml:"min_per_second" json:"min_per_second"`

	// MaxRejection caps the probability of refusing an attempt, so that
	// a share of the attempts still reach a failed host and see it
	// recover: refused attempts count as requests, so without a cap the
	// client refuses nearly everything and, once the host is back, lets
	// go only as the outage leaves the window and the few attempts it
	// sends are accepted. Zero: 0.8, the default of Envoy's admission
	// control (max_rejection_probability), which implements the same
	// formula. At most 1; 1 or negative: no cap, the book's formula.
	MaxRejection float64 `yaml:"max_rejection" json:"max_rejection"`
}

const (
	defaultThrottleK      = 2
	defaultThrottleWindow = 2 * time.Minute
	defaultThrottleMin    = 1
	defaultMaxRejection   = 0.8
)

func (c ThrottleConfig) withDefaults() ThrottleConfig {
	if c.K == 0 {
		c.K = defaultThrottleK
	}
	if c.Window == 0 {
		c.Window = defaultThrottleWindow
	}
	if c.MinPerSecond == 0 {
		c.MinPerSecond = defaultThrottleMin
	}
	if c.MaxRejection == 0 {
		c.MaxRejection = defaultMaxRejection
	}
	return c
}

// Series of a throttle's window.
const (
	throttleRequests = 0
	throttleAccepts  = 1
)

// throttle is the per-host adaptive throttle of a Transport. It is safe
// for concurrent use.
type throttle struct {
	k     float64
	floor float64 // requests per window below which nothing is refused
	cap   float64 // highest probability of refusal
	*hostWindows
	active bool
}

func newThrottle(c ThrottleConfig, now func() time.Time) *throttle {
	t := &throttle{k: c.K, cap: 1, hostWindows: newHostWindows(c.Window, now), active: c.K > 0}
	if c.MaxRejection > 0 {
		t.cap = c.MaxRejection
	}
	if c.MinPerSecond > 0 {
		t.floor = c.MinPerSecond * c.Window.Seconds()
	}
	return t
}

// allow reports whether to send an attempt to host, with u uniform in
// [0, 1); a refused attempt counts as a request at once, a sent one when
// [throttle.done] learns its outcome, so a burst of attempts still in
// flight is not mistaken for refusals.
func (t *throttle) allow(host string, u float64) bool {
	if !t.active {
		return true
	}
	ok := true
	t.update(host, func(h *hostWindow, cur int64) {
		reqs, accepts := h.sums()
		if reqs >= t.floor && u < min(t.cap, (reqs-t.k*accepts)/(reqs+1)) {
			ok = false
			h.series[throttleRequests][cur]++
		}
	})
	return ok
}

// done counts one attempt sent to host, and whether host accepted it.
func (t *throttle) done(host string, accepted bool) {
	if !t.active {
		return
	}
	t.update(host, func(h *hostWindow, cur int64) {
		h.series[throttleRequests][cur]++
		if accepted {
			h.series[throttleAccepts][cur]++
		}
	})
}

// overloaded reports whether an attempt's outcome is an overload signal:
// 429, 503, or no response at all.
func overloaded(resp *http.Response, err error) bool {
	return err != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
}
