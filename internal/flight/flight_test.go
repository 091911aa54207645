package flight

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func always(int, bool) bool { return true }

// Callers that find a fetch in flight wait for it and share its result.
func TestOneFetchForAllWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var v Value[int]
		var fetches atomic.Int64
		release := make(chan struct{})
		fetch := func(context.Context) (int, error) {
			<-release
			return int(fetches.Add(1)), nil
		}
		var wg sync.WaitGroup
		got := make([]int, 8)
		for i := range got {
			wg.Go(func() { got[i], _ = v.Replace(context.Background(), always, fetch) })
		}
		synctest.Wait()
		if _, _, busy := v.Load(); !busy {
			t.Fatal("Load reports no fetch in flight")
		}
		close(release)
		wg.Wait()
		for i, g := range got {
			if g != 1 {
				t.Fatalf("caller %d got %d, want 1", i, g)
			}
		}
		if cur, has, busy := v.Load(); cur != 1 || !has || busy {
			t.Fatalf("Load() = %d, %v, %v; want 1, true, false", cur, has, busy)
		}
	})
}

// A value that is no longer stale once the lock is held is not fetched.
func TestNotStaleNotFetched(t *testing.T) {
	var v Value[int]
	fetch := func(context.Context) (int, error) { return 7, nil }
	v.Replace(context.Background(), always, fetch)
	got, err := v.Replace(context.Background(), func(cur int, has bool) bool { return !has }, func(context.Context) (int, error) {
		t.Fatal("fetched a value that was not stale")
		return 0, nil
	})
	if got != 7 || err != nil {
		t.Fatalf("Replace = %d, %v; want 7, nil", got, err)
	}
}

// A failed fetch is returned and leaves the value as it was.
func TestFailedFetchKeepsValue(t *testing.T) {
	var v Value[int]
	v.Replace(context.Background(), always, func(context.Context) (int, error) { return 1, nil })
	boom := errors.New("boom")
	if _, err := v.Replace(context.Background(), always, func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("Replace: %v, want %v", err, boom)
	}
	if cur, has, _ := v.Load(); cur != 1 || !has {
		t.Fatalf("Load() = %d, %v; want the old 1, true", cur, has)
	}
}

// A waiter whose own context is live does not inherit the failure of a
// fetch that ended because its caller went away: it fetches itself.
func TestAbandonedFetchIsNotTheWaitersFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var v Value[int]
		leaderCtx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		go v.Replace(leaderCtx, always, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-started
		done := make(chan struct{})
		var got int
		var err error
		go func() {
			got, err = v.Replace(context.Background(), always, func(context.Context) (int, error) { return 2, nil })
			close(done)
		}()
		synctest.Wait() // the waiter is joined to the leader's fetch
		cancel()
		<-done
		if got != 2 || err != nil {
			t.Fatalf("waiter got %d, %v; want its own fetch's 2, nil", got, err)
		}
	})
}
