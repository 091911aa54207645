package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// LBPropagation is how long the shutdown-loss scenario keeps sending after
// shutdown begins: the time a load balancer takes to notice a failing
// readiness probe and stop routing to the instance. A target's drain
// delay must cover it.
const LBPropagation = 2 * time.Second

const (
	// shutdownWarmUp is how long the load runs before shutdown begins.
	shutdownWarmUp = time.Second
	loadWorkers    = 4
	loadPace       = 5 * time.Millisecond
	// loadMax bounds each worker's requests; the propagation delay ends
	// the load long before.
	loadMax = 2000
)

// shutdownLoss stops a server under steady load the way an orchestrator
// does, while the load balancer in front still routes to it.
func shutdownLoss() Scenario {
	return Scenario{
		Name: "shutdown-loss",
		Description: fmt.Sprintf("%d keep-alive clients send short GETs; after %v the server is told to shut down and the clients keep sending for %v more, as a load balancer does until its readiness probe fails.",
			loadWorkers, shutdownWarmUp, LBPropagation),
		Expect: fmt.Sprintf("loses no request in the %v the load balancer still routes to it", LBPropagation),
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			giveUp := b.Drain + b.Shutdown + 5*time.Second
			ctx, cancel := context.WithTimeout(ctx, shutdownWarmUp+giveUp)
			defer cancel()

			tr := &http.Transport{MaxIdleConnsPerHost: loadWorkers}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: requestTimeout}
			stop := make(chan struct{})
			loaded := make(chan tally, 1)
			go func() { loaded <- s.load(ctx, stop, client, loadWorkers, loadMax, loadPace) }()

			sleep(ctx, shutdownWarmUp)
			type result struct {
				err  error
				took time.Duration
			}
			shut := make(chan result, 1)
			go func() {
				began := time.Now()
				sctx, cancel := context.WithTimeout(ctx, giveUp)
				defer cancel()
				err := s.shutdown(sctx)
				shut <- result{err, time.Since(began)}
			}()
			sleep(ctx, LBPropagation)
			close(stop)
			t := <-loaded

			o := Outcome{Defended: t.sent > 0 && t.lost == 0, Sent: t.sent, Lost: t.lost, LegitP99: t.p99()}
			o.Summary = fmt.Sprintf("%d of %d lost", t.lost, t.sent)
			if t.lost > 0 {
				o.Summary += " (first: " + lossReason(t.firstLoss) + ")"
			}
			select {
			case r := <-shut:
				o.TimeToClose = r.took
				o.Summary += "; shutdown took " + secs(r.took)
				if r.err != nil {
					o.Summary += " and failed: " + r.err.Error()
				}
			case <-ctx.Done():
				o.Summary += fmt.Sprintf("; shutdown still running at give-up (%s)", secs(giveUp))
			}
			return o
		}),
	}
}

// sleep pauses for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
