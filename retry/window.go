package retry

import (
	"sync"
	"time"
)

// windowSlices is how many slices a sliding window is counted in: it
// slides in steps of a tenth of its length.
const windowSlices = 10

// maxWindowHosts bounds a per-host table. Hosts come from request URLs,
// which may be user-influenced; past the bound, hosts idle for a whole
// window are dropped, and if none is, the table is cleared (forgetting
// recent counts errs towards sending, never towards a leak).
const maxWindowHosts = 4096

// hostWindows counts two series of events per host over a sliding window:
// the retry budget counts requests and retries, the throttle requests and
// accepts. It is safe for concurrent use.
type hostWindows struct {
	slice time.Duration
	now   func() time.Time
	mu    sync.Mutex
	hosts map[string]*hostWindow
}

// hostWindow is one host's counts: series[s][i] is the count of series s
// in slice i.
type hostWindow struct {
	epoch  int64 // index of the newest slice, in units of slice since the zero time
	series [2][windowSlices]float64
}

func newHostWindows(window time.Duration, now func() time.Time) *hostWindows {
	return &hostWindows{slice: window / windowSlices, now: now, hosts: make(map[string]*hostWindow)}
}

// sums returns the totals of both series over the window.
func (h *hostWindow) sums() (a, b float64) {
	for i := range windowSlices {
		a += h.series[0][i]
		b += h.series[1][i]
	}
	return a, b
}

// advance moves h's window to epoch, clearing slices that have left it.
func (h *hostWindow) advance(epoch int64) {
	if epoch <= h.epoch {
		return
	}
	if epoch-h.epoch >= windowSlices {
		h.series = [2][windowSlices]float64{}
	} else {
		for e := h.epoch + 1; e <= epoch; e++ {
			i := e % windowSlices
			h.series[0][i], h.series[1][i] = 0, 0
		}
	}
	h.epoch = epoch
}

// update runs f under the lock on host's window, moved to now; cur is the
// index of the current slice, where f adds new events.
func (w *hostWindows) update(host string, f func(h *hostWindow, cur int64)) {
	epoch := w.now().UnixNano() / int64(w.slice)
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.hosts[host]
	if h == nil {
		if len(w.hosts) >= maxWindowHosts {
			for k, v := range w.hosts {
				if epoch-v.epoch >= windowSlices {
					delete(w.hosts, k)
				}
			}
			if len(w.hosts) >= maxWindowHosts {
				clear(w.hosts)
			}
		}
		h = &hostWindow{epoch: epoch}
		w.hosts[host] = h
	}
	h.advance(epoch)
	f(h, epoch%windowSlices)
}
