package scenarios

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const (
	// overloadWarm is how long the service first gets half its capacity,
	// to measure its unloaded latency and let an adaptive limit learn it
	// (at least ten of its windows of ten requests), as it would from
	// ordinary traffic before a surge.
	overloadWarm = 2 * time.Second
	// overloadFor is how long the load then stays at three times the
	// capacity; the admitted latency is measured over its last
	// overloadSteady, once a limit has had time to settle and the
	// requests admitted before it did have been served.
	overloadFor    = 4 * time.Second
	overloadSteady = 2 * time.Second
	// overloadFactor is the offered load, in multiples of the capacity.
	overloadFactor = 3
	// overloadOutstanding bounds the requests the load keeps waiting at
	// once; an arrival beyond it is counted as lost without being sent.
	overloadOutstanding = 1000
	// overloadTick is the pace at which the load sends its arrivals.
	overloadTick = 10 * time.Millisecond
)

// workRate is /work's capacity in requests per second.
var workRate = float64(workCapacity) / workFor.Seconds()

func overload() Scenario {
	return Scenario{
		Name: "overload",
		Description: fmt.Sprintf("Clients arriving independently (an open loop) call a service that handles %d requests at a time, %v each (%.0f/s), first for half its capacity, then for %d times its capacity during %v.",
			workCapacity, workFor, workRate, overloadFactor, overloadFor),
		Expect: "keeps the p99 latency of the requests it admits within 2x its unloaded p99, and answers at least 70% of its capacity",
		Run:    attack(runOverload),
	}
}

// overloadTally is what the load of one phase experienced.
type overloadTally struct {
	sent, ok, shed, lost int
	latencies            []time.Duration // of the requests answered 200 during the window
	firstLoss            error
}

// runOverload measures the unloaded p99, then the goodput, the admitted
// p99 and the share shed under three times the capacity.
func runOverload(ctx context.Context, s *server, _ Bounds) Outcome {
	tr := &http.Transport{MaxIdleConnsPerHost: overloadOutstanding}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: requestTimeout}

	warm := s.openLoop(ctx, c, workRate/2, overloadWarm, 0)
	if ctx.Err() != nil {
		return Outcome{Summary: "interrupted", Err: ctx.Err().Error()}
	}
	unloaded := tally{latencies: warm.latencies}.p99()
	load := s.openLoop(ctx, c, workRate*overloadFactor, overloadFor, overloadFor-overloadSteady)
	admitted := tally{latencies: load.latencies}.p99()
	goodput := float64(load.ok) / overloadFor.Seconds()

	o := Outcome{
		Defended:    unloaded > 0 && admitted > 0 && admitted <= 2*unloaded && goodput >= 0.7*workRate,
		AdmittedP99: admitted,
		UnloadedP99: unloaded,
		Goodput:     goodput,
		Shed:        load.shed,
		Sent:        load.sent,
		Lost:        load.lost,
	}
	p99 := "none admitted in the last " + secs(overloadSteady)
	if admitted > 0 {
		p99 = "admitted p99 " + millis(admitted)
	}
	o.Summary = fmt.Sprintf("goodput %.0f/s, %s (unloaded %s), %d%% shed, %d%% lost",
		goodput, p99, millis(unloaded), percent(load.shed, load.sent), percent(load.lost, load.sent))
	if load.firstLoss != nil {
		o.Summary += fmt.Sprintf(" (first: %s)", lossReason(load.firstLoss))
	}
	return o
}

// openLoop sends GET /work at rate requests a second for d, each from its
// own goroutine whatever the others' fate, as independent clients do, and
// waits for the last answer. Answers count while the load lasts: a 200
// after d (a waiter a server serves once the load has stopped, which a
// lasting load would have had it shed) is neither goodput nor a latency;
// latencies are kept for the requests sent from skip on and answered 200
// by d.
func (s *server) openLoop(ctx context.Context, c *http.Client, rate float64, d, skip time.Duration) overloadTally {
	var (
		mu  sync.Mutex
		out overloadTally
		wg  sync.WaitGroup
	)
	outstanding := make(chan struct{}, overloadOutstanding)
	record := func(f func(*overloadTally)) {
		mu.Lock()
		f(&out)
		mu.Unlock()
	}
	start := time.Now()
	tick := time.NewTicker(overloadTick)
	defer tick.Stop()
	perTick := rate * overloadTick.Seconds()
	due := 0.0
	for time.Since(start) < d && ctx.Err() == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
		for due += perTick; due >= 1; due-- {
			select {
			case outstanding <- struct{}{}:
			default:
				record(func(t *overloadTally) { t.sent++; t.lost++ })
				continue
			}
			sentAt := time.Since(start)
			wg.Go(func() {
				defer func() { <-outstanding }()
				began := time.Now()
				status, err := fetch(ctx, c, s.base+"/work")
				took, at := time.Since(began), time.Since(start)
				record(func(t *overloadTally) {
					t.sent++
					switch {
					case err == nil && status == http.StatusOK && at > d:
					case err == nil && status == http.StatusOK:
						t.ok++
						if sentAt >= skip {
							t.latencies = append(t.latencies, took)
						}
					case err == nil && status == http.StatusServiceUnavailable:
						t.shed++
					default:
						t.lost++
						if t.firstLoss == nil && err != nil {
							t.firstLoss = err
						} else if t.firstLoss == nil {
							t.firstLoss = fmt.Errorf("status %d", status)
						}
					}
				})
			})
		}
	}
	wg.Wait()
	return out
}

// fetch sends one GET and reads the whole answer, and returns its status.
func fetch(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// millis prints d in milliseconds: "270ms".
func millis(d time.Duration) string {
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// percent is n as a whole percentage of of, 0 when of is.
func percent(n, of int) int {
	if of == 0 {
		return 0
	}
	return n * 100 / of
}
