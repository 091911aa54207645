package retry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/harden-go/harden"
)

// In a synctest bubble time moves only when every goroutine is blocked, so
// "returned without waiting" is exact: no fake time passed.
func TestRealClockDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls int
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls++
			return nil, errors.New("connection reset")
		})
		p := Policy{InitialBackoff: harden.Second, MaxBackoff: harden.Second, Jitter: -1, Budget: BudgetConfig{Ratio: -1}}
		tr := mustTransport(t, base, p)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/", nil)
		start := time.Now()
		_, err := tr.RoundTrip(req)
		if elapsed := time.Since(start); elapsed != 0 || calls != 1 {
			t.Errorf("returned after %v and %d attempts, want at once after 1", elapsed, calls)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want one that is context.DeadlineExceeded", err)
		}
	})
}

func TestRealClockBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Duration
		start := time.Now()
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			at = append(at, time.Since(start))
			return nil, errors.New("connection reset")
		})
		p := Policy{InitialBackoff: harden.Second, MaxBackoff: 10 * harden.Second, Jitter: -1, Budget: BudgetConfig{Ratio: -1}}
		tr := mustTransport(t, base, p)
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		if _, err := tr.RoundTrip(req); err == nil {
			t.Fatal("want an error")
		}
		want := []time.Duration{0, time.Second, 3 * time.Second}
		if len(at) != 3 || at[0] != want[0] || at[1] != want[1] || at[2] != want[2] {
			t.Errorf("attempts at %v, want %v", at, want)
		}
	})
}

func TestRealClockSleepCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := realClock{}.Sleep(ctx, time.Hour)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Errorf("Sleep returned %v after %v, want the deadline after 1s", err, time.Since(start))
		}
	})
}

// A request waiting on another's fetch is not failed because that other
// request gave up: it fetches for itself.
func TestTokenAuthAbandonedFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls int
		a := TokenAuth(func(ctx context.Context, key string) (Token, error) {
			calls++
			if calls == 1 {
				<-ctx.Done() // the first caller goes away mid-fetch
				return Token{}, ctx.Err()
			}
			return Token{Value: "tok"}, nil
		})
		ctxA, cancelA := context.WithCancel(context.Background())
		errA := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctxA, http.MethodGet, "http://127.0.0.1/", nil)
			errA <- a.Authorize(req)
		}()
		synctest.Wait() // A is fetching
		reqB, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		errB := make(chan error, 1)
		go func() { errB <- a.Authorize(reqB) }()
		synctest.Wait() // B has joined A's fetch
		cancelA()
		if err := <-errA; !errors.Is(err, context.Canceled) {
			t.Errorf("A: %v, want context.Canceled", err)
		}
		if err := <-errB; err != nil || reqB.Header.Get("Authorization") != "Bearer tok" || calls != 2 {
			t.Errorf("B: %v, %q after %d fetches; want Bearer tok after 2", err, reqB.Header.Get("Authorization"), calls)
		}
	})
}
