package limits

import (
	"math"
	"time"
)

// Constants of the adaptive limit, after Netflix concurrency-limits'
// Gradient2Limit (see the package doc for the algorithm).
const (
	gradientSmoothing   = 0.2 // Gradient2's smoothing
	gradientQueueSize   = 4   // Gradient2's queueSize: growth allowed while latency holds
	gradientLongWindows = 600 // Gradient2's longWindow, in windows here
	gradientWarmup      = 10  // windows averaged before the long RTT becomes an EMA
	gradientMinRatio    = 0.5 // the gradient never halves the limit at once
	gradientDropBackoff = 0.9 // AIMDLimit's backoffRatio, applied to a window with drops
	gradientDriftRatio  = 2.0 // long RTT above twice the short one is pulled down
	gradientDriftDecay  = 0.9 // by this factor per window
	gradientRiseRatio   = 0.8 // below it, latency rose beyond noise: 25% above the long-term average
	// gradientMinRTT is the least latency the limit reads, in seconds:
	// a window's mean below it counts as it. Below a millisecond,
	// scheduling and GC pauses move a mean of a few requests by far more
	// than a quarter without any queuing: measured with 100 handlers
	// held by one HTTP/2 connection (the scorecard's
	// h2-stream-exhaustion), windows of 10µs and 80µs cut the limit from
	// 1000 to 54, below the held handlers, and every other client was
	// shed until they returned. Queuing that matters shows well above
	// it.
	gradientMinRTT = 1e-3
)

// windowSample is what one sampling window observed: the mean RTT of the
// requests that completed in it, the most requests in flight at once, and
// whether any of them failed on the server's side.
type windowSample struct {
	rtt         time.Duration
	maxInflight int
	dropped     bool
}

// gradient is the adaptive concurrency limit: a pure function of the
// windows it is shown, so it can be driven by a simulation in tests. It is
// not safe for concurrent use; the limiter holds its lock.
type gradient struct {
	limit    float64
	min, max float64
	longRTT  float64 // seconds; 0 until the first window
	windows  int
}

func newGradient(initial, min, max int) *gradient {
	return &gradient{limit: float64(initial), min: float64(min), max: float64(max)}
}

// update folds one window into the limit and returns the new limit.
//
// A window with a server-side failure (a handler timeout or a 5xx the
// handler wrote) shrinks the limit by a tenth, as AIMD does, since a
// failing backend's latency says nothing about its capacity. Otherwise the
// limit follows Gradient2: the ratio of the long-term RTT to this window's
// RTT, within [0.5, 1], scales the limit, which may also grow by a queue
// of 4, smoothed by 0.2 unless latency rose by a quarter (then the
// gradient applies at once, as in Envoy); it does not grow while fewer
// than half of it were
// in flight (the application, not the server, limited the load), but it
// still falls when latency rises by a quarter, which Gradient2 does not
// do: from the concurrency that was in flight, at once, so that a limit that starts at
// its ceiling comes down to the capacity within a window or two.
func (g *gradient) update(s windowSample) int {
	short := max(s.rtt.Seconds(), gradientMinRTT)
	g.windows++
	switch {
	case g.windows <= gradientWarmup:
		g.longRTT += (short - g.longRTT) / float64(g.windows)
	default:
		g.longRTT += (short - g.longRTT) * 2 / (gradientLongWindows + 1)
	}
	if g.longRTT/short > gradientDriftRatio {
		// Latency is back to normal after a long overload: do not wait
		// for the average to forget it.
		g.longRTT *= gradientDriftDecay
	}
	ratio := math.Max(gradientMinRatio, math.Min(1, g.longRTT/short))
	switch {
	case s.dropped:
		g.limit *= gradientDropBackoff
	case float64(s.maxInflight) < g.limit/2:
		// The application, not the server, limited the load: the
		// limit does not grow. If latency rose clearly (by a quarter),
		// it was at the concurrency actually in flight, which is what
		// the limit falls from, at once: the part of the limit above
		// it was never tried.
		if ratio < gradientRiseRatio {
			g.limit = math.Min(g.limit, float64(s.maxInflight)*ratio+gradientQueueSize)
		}
	case ratio < gradientRiseRatio:
		// Requests are queuing: the smoothing that steadies the limit
		// in normal operation would keep it far too high for many
		// windows. Apply the gradient at once, as Envoy's adaptive
		// concurrency does; its floor still halves the limit at most.
		g.limit = g.limit*ratio + gradientQueueSize
	default:
		next := g.limit*ratio + gradientQueueSize
		g.limit = g.limit*(1-gradientSmoothing) + next*gradientSmoothing
	}
	g.limit = math.Max(g.min, math.Min(g.max, g.limit))
	return g.current()
}

// longTerm is the long-term average latency; 0 before the first window.
func (g *gradient) longTerm() time.Duration {
	return time.Duration(g.longRTT * float64(time.Second))
}

// raise adds the queue size to the limit for each of windows, within
// its ceiling, and returns the new limit: the limiter's way out when
// requests it cannot sample hold the limit (see limiter.stalledLocked).
func (g *gradient) raise(windows int) int {
	g.limit = math.Min(g.max, g.limit+float64(windows)*gradientQueueSize)
	return g.current()
}

func (g *gradient) current() int { return int(g.limit) }
