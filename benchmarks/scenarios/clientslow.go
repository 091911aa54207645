package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// slowHeaderMargin is how long past the client's response_header a
// call may take to fail and still count as defended, and how much longer
// the scenario waits before it gives up on the call.
const slowHeaderMargin = time.Second

// slowHeader calls a service that reads the request and never answers.
// net/http's defaults have no response-header timeout and
// http.DefaultClient no overall timeout, so the call waits as long as
// the service holds it.
func slowHeader() Scenario {
	return Scenario{
		Name:        "slow-header",
		Description: "A service reads the request and never answers; the client sends one GET, without retries.",
		Expect:      "fails the call with a timeout error within response_header + 1s",
		Waits:       true,
		Run: func(ctx context.Context, t Target, b Bounds) Outcome {
			hold := make(chan struct{})
			defer close(hold)
			silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-hold:
				case <-r.Context().Done():
				}
			})
			return callService(t, ClientSpec{}, silent, func(svc *service, c *http.Client) Outcome {
				return failWithin(ctx, svc, c, b)
			})
		},
	}
}

// failWithin sends one GET to the silent svc through c and times its
// failure.
func failWithin(ctx context.Context, svc *service, c *http.Client, b Bounds) Outcome {
	giveUp := b.Client.ResponseHeader + 2*slowHeaderMargin
	cctx, cancel := context.WithTimeout(ctx, giveUp)
	defer cancel()
	began := time.Now()
	err := get(cctx, c, svc.url)
	took := time.Since(began)
	if cctx.Err() != nil {
		return Outcome{Summary: fmt.Sprintf("still waiting at give-up (%s)", secs(giveUp))}
	}
	return Outcome{
		Defended:   isTimeout(err) && took <= b.Client.ResponseHeader+slowHeaderMargin,
		Summary:    fmt.Sprintf("failed after %s (timeout: %v)", secs(took), isTimeout(err)),
		TimeToFail: took,
	}
}
