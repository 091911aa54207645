package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// The backend outage: callers call a service that is healthy, then fails
// every request for a while, then recovers.
const (
	outageCallers = 8
	outagePacing  = 20 * time.Millisecond // between one caller's calls
	outageBefore  = time.Second
	outageLength  = 2500 * time.Millisecond
	// outageGiveUp is how long after the outage the callers keep calling
	// to see the client recover.
	outageGiveUp = 3 * time.Second
	// outageBin is the span over which the callers' success is judged
	// after the outage: the client has recovered at the start of the
	// first bin where at least 90% of the calls succeeded.
	outageBin       = 100 * time.Millisecond
	outageRecovered = 0.9
	// outageShare is the most of its healthy rate a defended client
	// keeps sending to the failing service.
	outageShare = 0.5
)

// retryablehttpWaits is go-retryablehttp's documented default policy
// (RetryMax 4, DefaultBackoff from RetryWaitMin 1s doubling up to
// RetryWaitMax 30s, no budget across requests): the offsets, from a
// call's first attempt, of its five attempts.
var retryablehttpWaits = []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second, 15 * time.Second}

// backendOutage has callers call, each at most once per outagePacing, a
// service that answers 200 for outageBefore, 503 for outageLength, then
// 200 again, each call resent as the client resends. It counts the
// attempts that reach the service per second during the outage, and
// how long after it the callers' calls succeed again. A client that
// keeps sending first attempts at full rate (and retries on top) keeps
// the failing service's load up; adaptive throttling sheds it locally
// and lets go once the service answers again.
func backendOutage() Scenario {
	l, rec := retryablehttpOutage(outageLength)
	return Scenario{
		Name: "backend-outage",
		Description: fmt.Sprintf("%d callers, each calling at most every %s, call a service that answers 200 for %s, 503 for %s, then 200 again; each call is resent as the client resends. The figures are the attempts that reached the service per second during the outage, against the rate while healthy, and how long after the outage %.0f%% of the calls in a %s span succeeded again. go-retryablehttp's figures are modelled from its documented defaults (RetryMax 4, waits doubling from 1s to 30s, no budget), not measured: %.1f attempts/s, recovered after %s.",
			outageCallers, outagePacing, secs(outageBefore), secs(outageLength), outageRecovered*100, outageBin, l, secs(rec)),
		Expect: fmt.Sprintf("sends the failing service at most %.0f%% of its healthy rate and recovers before %s", outageShare*100, secs(outageGiveUp)),
		Run: func(ctx context.Context, t Target, _ Bounds) Outcome {
			var (
				start   = time.Now()
				healthy atomic.Int64 // attempts before the outage
				failed  atomic.Int64 // attempts during it
			)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch since := time.Since(start); {
				case since < outageBefore:
					healthy.Add(1)
				case since < outageBefore+outageLength:
					failed.Add(1)
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				w.Write([]byte("ok"))
			})
			return callService(t, ClientSpec{Retry: true}, h, func(svc *service, c *http.Client) Outcome {
				start = time.Now() // the clock starts with the callers
				calls := outageCalls(ctx, svc, c, start)
				o := Outcome{
					HealthyRate: float64(healthy.Load()) / outageBefore.Seconds(),
					OutageRate:  float64(failed.Load()) / outageLength.Seconds(),
					Sent:        len(calls),
					ModelledPeers: map[string]float64{
						"go-retryablehttp":               l,
						"go-retryablehttp_recovery_secs": rec.Seconds(),
					},
				}
				o.TimeToRecover = recovery(calls, start.Add(outageBefore+outageLength))
				recovered := "did not recover before give-up"
				if o.TimeToRecover > 0 {
					recovered = fmt.Sprintf("recovered after %s", secs(o.TimeToRecover))
				}
				o.Defended = o.HealthyRate > 0 && o.OutageRate <= outageShare*o.HealthyRate && o.TimeToRecover > 0
				o.Summary = fmt.Sprintf("%.0f attempts/s reached the failing service (%.0f/s healthy), %s (go-retryablehttp defaults, modelled: %.1f/s, %s)",
					o.OutageRate, o.HealthyRate, recovered, l, secs(rec))
				return o
			})
		},
	}
}

// call is one call's end and whether it succeeded.
type call struct {
	end time.Time
	ok  bool
}

// outageCalls runs the callers from start until the give-up and returns
// their calls.
func outageCalls(ctx context.Context, svc *service, c *http.Client, start time.Time) []call {
	end := start.Add(outageBefore + outageLength + outageGiveUp)
	cctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	maxCalls := int((outageBefore+outageLength+outageGiveUp)/outagePacing) + 1
	var (
		mu    sync.Mutex
		calls []call
		wg    sync.WaitGroup
	)
	for range outageCallers {
		wg.Go(func() {
			tick := time.NewTicker(outagePacing)
			defer tick.Stop()
			for range maxCalls {
				err := get(cctx, c, svc.url)
				if cctx.Err() != nil {
					return
				}
				mu.Lock()
				calls = append(calls, call{end: time.Now(), ok: err == nil})
				mu.Unlock()
				select {
				case <-tick.C:
				case <-cctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
	return calls
}

// recovery is how long after over the calls first succeeded again: the
// start of the first outageBin-long span after over in which at least
// outageRecovered of the calls succeeded (a span of the very first
// instant counts as recovered at once, reported as one nanosecond so
// that zero keeps meaning never). Zero: never within the calls.
func recovery(calls []call, over time.Time) time.Duration {
	sort.Slice(calls, func(i, j int) bool { return calls[i].end.Before(calls[j].end) })
	var ok, n int
	bin := 0
	flush := func() time.Duration {
		if n > 0 && float64(ok) >= outageRecovered*float64(n) {
			return max(time.Duration(bin)*outageBin, 1)
		}
		return 0
	}
	for _, c := range calls {
		if c.end.Before(over) {
			continue
		}
		b := int(c.end.Sub(over) / outageBin)
		if b != bin {
			if d := flush(); d > 0 {
				return d
			}
			bin, ok, n = b, 0, 0
		}
		n++
		if c.ok {
			ok++
		}
	}
	return flush()
}

// retryablehttpOutage models go-retryablehttp's default policy during an
// outage of length l: every caller's call starts as the outage does and
// its attempts follow [retryablehttpWaits]. It returns the attempts per
// second that reach the service during the outage, for all callers, and
// how long after the outage the first attempt that can succeed is sent.
func retryablehttpOutage(l time.Duration) (perSecond float64, recovered time.Duration) {
	during := 0
	for _, w := range retryablehttpWaits {
		if w < l {
			during++
			continue
		}
		return float64(during*outageCallers) / l.Seconds(), w - l
	}
	// Past the last attempt the call fails and the caller calls again
	// at once, after the outage only if it is that long.
	return float64(during*outageCallers) / l.Seconds(), 0
}
