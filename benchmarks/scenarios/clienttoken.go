package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The expired-token storm.
const (
	tokenCallers = 200
	// tokenIssuerLimit is how many token fetches the issuer serves at
	// once; it refuses the others, as identity providers throttle.
	tokenIssuerLimit = 10
	// tokenFetchTime is how long the issuer takes to answer a fetch.
	tokenFetchTime = 20 * time.Millisecond
	// tokenStormTimeout bounds the first call and the storm, which take
	// milliseconds; it leaves room for a loaded machine.
	tokenStormTimeout = 5 * time.Second
)

// errThrottled is the issuer's answer to a fetch beyond its limit.
var errThrottled = errors.New("token issuer: too many concurrent fetches")

// tokenStorm expires the token of a client that is about to make 200
// concurrent calls. A hand-written token cache fetches a new token in
// every call that sees the 401, and the issuer throttles most of them; a
// client that fetches once per expiry and lets the others wait for that
// fetch loses no call.
func tokenStorm() Scenario {
	return Scenario{
		Name: "expired-token-storm",
		Description: fmt.Sprintf("A service answers 401 to the token a client has cached; then %d calls start at once. The token issuer serves %d fetches at a time and refuses the rest.",
			tokenCallers, tokenIssuerLimit),
		Expect: "fetches one new token for the whole storm and loses no call",
		Run: func(ctx context.Context, t Target, _ Bounds) Outcome {
			var (
				version  atomic.Int64 // of the valid token
				fetches  atomic.Int64
				inflight atomic.Int64
			)
			version.Store(1)
			token := func(v int64) string { return fmt.Sprintf("token-%d", v) }
			fetch := func(ctx context.Context) (string, error) {
				fetches.Add(1)
				if inflight.Add(1) > tokenIssuerLimit {
					inflight.Add(-1)
					return "", errThrottled
				}
				defer inflight.Add(-1)
				select {
				case <-time.After(tokenFetchTime):
				case <-ctx.Done():
					return "", ctx.Err()
				}
				return token(version.Load()), nil
			}
			guarded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer "+token(version.Load()) {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				io.WriteString(w, "ok")
			})
			return callService(t, ClientSpec{Token: fetch}, guarded, func(svc *service, c *http.Client) Outcome {
				return expire(ctx, svc, c, &version, &fetches)
			})
		},
	}
}

// expire warms c up with a first token, expires it, then starts the
// callers at once and counts the fetches and the failed calls.
func expire(ctx context.Context, svc *service, c *http.Client, version, fetches *atomic.Int64) Outcome {
	wctx, cancel := context.WithTimeout(ctx, tokenStormTimeout)
	err := get(wctx, c, svc.url) // caches the first token
	cancel()
	if err != nil {
		return Outcome{Summary: "no first answer", Err: err.Error()}
	}
	version.Add(1)
	fetches.Store(0)

	sctx, cancel := context.WithTimeout(ctx, tokenStormTimeout)
	defer cancel()
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
		start  = make(chan struct{})
	)
	for range tokenCallers {
		wg.Go(func() {
			<-start
			if get(sctx, c, svc.url) != nil {
				failed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	n, lost := int(fetches.Load()), int(failed.Load())
	return Outcome{
		Defended:     n == 1 && lost == 0,
		Summary:      fmt.Sprintf("%d token fetches, %d/%d calls failed", n, lost, tokenCallers),
		TokenFetches: n, Lost: lost, Sent: tokenCallers,
	}
}
