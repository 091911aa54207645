package limits

import (
	"testing"
	"time"
)

// service simulates a backend with a fixed capacity: up to capacity
// requests run at the base latency, and beyond it they share the capacity,
// so latency rises in proportion to what is in flight.
type service struct {
	capacity int
	base     time.Duration
}

func (s service) rtt(inflight int) time.Duration {
	if inflight <= s.capacity {
		return s.base
	}
	return time.Duration(float64(s.base) * float64(inflight) / float64(s.capacity))
}

// drive runs n windows of clients requests kept in flight (a closed
// loop: each client sends its next request when the last one ends), as
// many of them admitted as the limit allows, and returns the limit after
// each window.
func drive(g *gradient, s service, clients, n int) []int {
	out := make([]int, n)
	for i := range out {
		in := min(g.current(), clients)
		out[i] = g.update(windowSample{rtt: s.rtt(in), maxInflight: in})
	}
	return out
}

// within reports the first window from which every limit stays in
// [lo, hi], or -1.
func within(limits []int, lo, hi int) int {
	first := -1
	for i, l := range limits {
		switch {
		case l < lo || l > hi:
			first = -1
		case first < 0:
			first = i
		}
	}
	return first
}

// The adaptive limit, starting at its ceiling on a server that first sees
// normal traffic, comes down near the capacity under three times the load
// it can take, follows the capacity when the backend slows down and when
// it recovers, and sheds nothing once the load drops.
func TestGradientConvergesToCapacityAndRecovers(t *testing.T) {
	g := newGradient(1000, 4, 1000)
	normal := service{capacity: 40, base: 10 * time.Millisecond}
	slow := service{capacity: 10, base: 10 * time.Millisecond}
	phases := []struct {
		name    string
		s       service
		clients int
		windows int
		lo, hi  int
		by      int // the limit is in [lo, hi] from this window on
	}{
		{"normal traffic", normal, 20, 20, 1000, 1000, 0},
		{"three times the capacity", normal, 120, 100, 40, 70, 10},
		{"the backend slows down", slow, 120, 100, 10, 20, 40},
		{"the backend recovers", normal, 120, 200, 40, 80, 100},
		{"the load drops", normal, 20, 50, 40, 200, 0},
	}
	for _, p := range phases {
		got := drive(g, p.s, p.clients, p.windows)
		if w := within(got, p.lo, p.hi); w < 0 || w > p.by {
			t.Fatalf("%s: limit within [%d, %d] from window %d, want by %d; limits %v", p.name, p.lo, p.hi, w, p.by, got)
		}
	}
}

// Sub-millisecond latency that jitters is not queuing: with 100 handlers
// held by one client and a few fast requests completing around them at
// 10µs in one window and 80µs in the next, the limit stays above what is
// held, so the server still admits everyone else.
func TestGradientIgnoresSubMillisecondJitter(t *testing.T) {
	g := newGradient(1000, 20, 1000)
	for i := range 20 {
		rtt := 10 * time.Microsecond
		if i%2 == 1 {
			rtt = 80 * time.Microsecond
		}
		if got := g.update(windowSample{rtt: rtt, maxInflight: 101}); got <= 101 {
			t.Fatalf("window %d (mean %v, 101 in flight): limit %d, want above the 101 in flight", i, rtt, got)
		}
	}
}
