package retry

import (
	"sync"
	"time"
)

// budgetBuckets is how many slices a budget window is counted in: the
// window slides in steps of Window/10.
const budgetBuckets = 10

// maxBudgetHosts bounds the per-host table. Hosts come from request URLs,
// which may be user-influenced; past the bound, hosts idle for a whole
// window are dropped, and if none is, the table is cleared (forgetting
// recent counts errs towards allowing retries, never towards a leak).
const maxBudgetHosts = 4096

// budget is a per-host retry budget (see [BudgetConfig]). It is safe for
// concurrent use. It only ever refuses to start a retry; it never stops an
// attempt already in flight.
type budget struct {
	ratio  float64
	floor  float64 // retries allowed per window regardless of requests
	slice  time.Duration
	now    func() time.Time
	mu     sync.Mutex
	hosts  map[string]*hostBudget
	active bool
}

type hostBudget struct {
	epoch    int64 // index of the newest slice, in units of slice since the zero time
	requests [budgetBuckets]float64
	retries  [budgetBuckets]float64
}

func newBudget(c BudgetConfig, now func() time.Time) *budget {
	b := &budget{ratio: c.Ratio, now: now, hosts: make(map[string]*hostBudget), active: c.Ratio >= 0}
	b.slice = c.Window.Std() / budgetBuckets
	if c.MinPerSecond > 0 {
		b.floor = c.MinPerSecond * c.Window.Std().Seconds()
	}
	return b
}

// advance moves h's window to now, clearing slices that have left it.
func (b *budget) advance(h *hostBudget, epoch int64) {
	if epoch <= h.epoch {
		return
	}
	steps := epoch - h.epoch
	if steps >= budgetBuckets {
		h.requests, h.retries = [budgetBuckets]float64{}, [budgetBuckets]float64{}
	} else {
		for e := h.epoch + 1; e <= epoch; e++ {
			i := e % budgetBuckets
			h.requests[i], h.retries[i] = 0, 0
		}
	}
	h.epoch = epoch
}

func (b *budget) host(host string, epoch int64) *hostBudget {
	h := b.hosts[host]
	if h == nil {
		if len(b.hosts) >= maxBudgetHosts {
			for k, v := range b.hosts {
				if epoch-v.epoch >= budgetBuckets {
					delete(b.hosts, k)
				}
			}
			if len(b.hosts) >= maxBudgetHosts {
				clear(b.hosts)
			}
		}
		h = &hostBudget{epoch: epoch}
		b.hosts[host] = h
	}
	b.advance(h, epoch)
	return h
}

func (b *budget) epoch() int64 { return b.now().UnixNano() / int64(b.slice) }

// request records one new request (not a retry) to host.
func (b *budget) request(host string) {
	if !b.active {
		return
	}
	e := b.epoch()
	b.mu.Lock()
	h := b.host(host, e)
	h.requests[e%budgetBuckets]++
	b.mu.Unlock()
}

// tryRetry reports whether one more retry to host fits in the budget, and
// if so counts it.
func (b *budget) tryRetry(host string) bool {
	if !b.active {
		return true
	}
	e := b.epoch()
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.host(host, e)
	var reqs, rets float64
	for i := range budgetBuckets {
		reqs += h.requests[i]
		rets += h.retries[i]
	}
	if rets+1 > max(b.ratio*reqs, b.floor) {
		return false
	}
	h.retries[e%budgetBuckets]++
	return true
}
