package scenarios

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Connection churn: the shape of the client's pool under concurrency.
const (
	churnCallers  = 64
	churnRequests = 20
)

// connectionChurn has 64 callers send 20 requests each to one service
// and counts the connections the service accepts. net/http keeps 2 idle
// connections per host, so all but 2 of the callers close their
// connection after each answer and open a new one for the next request
// (golang/go#13801).
func connectionChurn() Scenario {
	return Scenario{
		Name: "connection-churn",
		Description: fmt.Sprintf("%d concurrent callers each send %d requests to one service over HTTP/1.1; the service counts the connections it accepts.",
			churnCallers, churnRequests),
		Expect: fmt.Sprintf("opens at most %d connections for %d concurrent callers (one per caller, with slack for a caller that asks before its connection is back in the pool)",
			2*churnCallers, churnCallers),
		Run: func(ctx context.Context, t Target, _ Bounds) Outcome {
			ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
			return callService(t, ClientSpec{}, ok, func(svc *service, c *http.Client) Outcome {
				return churn(ctx, svc, c)
			})
		},
	}
}

// churn has the callers call svc through c and counts its connections.
func churn(ctx context.Context, svc *service, c *http.Client) Outcome {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		all tally
	)
	for range churnCallers {
		wg.Go(func() {
			var mine tally
			for range churnRequests {
				if ctx.Err() != nil {
					break
				}
				rctx, cancel := context.WithTimeout(ctx, requestTimeout)
				began := time.Now()
				err := get(rctx, c, svc.url)
				cancel()
				mine.sent++
				if err != nil {
					mine.lost++
					continue
				}
				mine.latencies = append(mine.latencies, time.Since(began))
			}
			mu.Lock()
			all.add(mine)
			mu.Unlock()
		})
	}
	wg.Wait()
	n := svc.conns()
	return Outcome{
		Defended: n <= 2*churnCallers && all.lost == 0,
		Summary:  fmt.Sprintf("%d new connections, p99 %s, %d/%d failed", n, ms(all.p99()), all.lost, all.sent),
		NewConns: n, LegitP99: all.p99(), Sent: all.sent, Lost: all.lost,
	}
}

// ms prints d in milliseconds with one decimal.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
