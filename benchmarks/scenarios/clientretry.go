package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The retry storm: callers keep calling a service that fails them all.
const (
	stormCallers  = 20
	stormRequests = 50 // per caller, at most
	stormDuration = 2 * time.Second
	// retryablehttpAttempts is go-retryablehttp's documented default:
	// RetryMax 4, so 5 attempts for a request that always fails, with no
	// budget across requests.
	retryablehttpAttempts = 5
	// stormBound is the most attempts per call a budgeted client may
	// send: one, plus the budget's fifth, plus slack for its floor of
	// retries per second over a short run.
	stormBound = 1.5
)

// retryStorm has callers call a service that answers every request 503
// for a while, each retrying the way its client does, and counts the
// attempts that reach the service per call. A client without a budget
// multiplies the load on a failing service by its attempts per request,
// which keeps it down; a budget caps retries at a fraction of the calls.
func retryStorm() Scenario {
	return Scenario{
		Name: "retry-storm",
		Description: fmt.Sprintf("%d callers call a service that answers every request 503 for %s, each call retried as the client retries; the service counts the attempts. go-retryablehttp's figure is modelled from its documented defaults (RetryMax 4, no budget), not measured.",
			stormCallers, secs(stormDuration)),
		Expect: fmt.Sprintf("sends at most %.1f attempts per call to a service that fails every call", stormBound),
		Run: func(ctx context.Context, t Target, _ Bounds) Outcome {
			var attempts atomic.Int64
			failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				attempts.Add(1)
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			return callService(t, ClientSpec{Retry: true}, failing, func(svc *service, c *http.Client) Outcome {
				return storm(ctx, svc, c, &attempts)
			})
		},
	}
}

// storm has the callers call the failing svc through c for
// stormDuration and counts the attempts per call.
func storm(ctx context.Context, svc *service, c *http.Client, attempts *atomic.Int64) Outcome {
	sctx, cancel := context.WithTimeout(ctx, stormDuration)
	defer cancel()
	var (
		wg    sync.WaitGroup
		calls atomic.Int64
	)
	for range stormCallers {
		wg.Go(func() {
			for range stormRequests {
				if sctx.Err() != nil {
					return
				}
				calls.Add(1)
				_ = get(sctx, c, svc.url)
			}
		})
	}
	wg.Wait()
	n := calls.Load()
	if n == 0 {
		return Outcome{Summary: "no call made", Err: "no call was made before the storm ended"}
	}
	per := float64(attempts.Load()) / float64(n)
	return Outcome{
		Defended:           per <= stormBound,
		Summary:            fmt.Sprintf("%.2f attempts per call over %d calls (go-retryablehttp defaults: %d, modelled)", per, n, retryablehttpAttempts),
		AttemptsPerRequest: per,
		Sent:               int(n),
		ModelledPeers:      map[string]float64{"go-retryablehttp": retryablehttpAttempts},
	}
}
