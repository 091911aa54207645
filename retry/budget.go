package retry

import "time"

// Series of a budget's window.
const (
	budgetRequests = 0
	budgetRetries  = 1
)

// budget is a per-host retry budget (see [BudgetConfig]). It is safe for
// concurrent use. It only ever refuses to start a retry; it never stops an
// attempt already in flight.
type budget struct {
	ratio float64
	floor float64 // retries allowed per window regardless of requests
	*hostWindows
	active bool
}

func newBudget(c BudgetConfig, now func() time.Time) *budget {
	b := &budget{ratio: c.Ratio, hostWindows: newHostWindows(c.Window, now), active: c.Ratio >= 0}
	if c.MinPerSecond > 0 {
		b.floor = c.MinPerSecond * c.Window.Seconds()
	}
	return b
}

// request records one new request (not a retry) to host.
func (b *budget) request(host string) {
	if !b.active {
		return
	}
	b.update(host, func(h *hostWindow, cur int64) { h.series[budgetRequests][cur]++ })
}

// tryRetry reports whether one more retry to host fits in the budget, and
// if so counts it.
func (b *budget) tryRetry(host string) bool {
	if !b.active {
		return true
	}
	ok := false
	b.update(host, func(h *hostWindow, cur int64) {
		reqs, rets := h.sums()
		if ok = rets+1 <= max(b.ratio*reqs, b.floor); ok {
			h.series[budgetRetries][cur]++
		}
	})
	return ok
}
