// Package flight holds a value, such as a credential, that callers replace
// one at a time: a caller that finds it stale fetches a new one while the
// others wait for that fetch instead of starting their own, so that a
// credential expiring under 200 requests costs one fetch. retry.TokenAuth
// and retry/sigv4 keep their credentials in it.
package flight

import (
	"context"
	"sync"
)

// Value is a value replaced by one fetch at a time. The zero Value holds
// nothing and is ready to use; it must not be copied after first use. It
// is safe for concurrent use and holds no goroutines: a fetch runs on the
// goroutine of the caller that starts it.
type Value[T any] struct {
	mu       sync.Mutex
	cur      T
	has      bool
	inflight *call[T]
}

type call[T any] struct {
	done     chan struct{}
	val      T
	err      error
	ctxEnded bool // the fetch failed because its caller's context ended
}

// Load returns the current value, whether there is one, and whether a
// fetch is in flight.
func (v *Value[T]) Load() (cur T, has, busy bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cur, v.has, v.inflight != nil
}

// maxJoins bounds how often a caller waits on other callers' fetches that
// were abandoned before it fetches itself.
const maxJoins = 3

// Replace calls fetch, with ctx, to replace the value if stale(current,
// has) holds once no other fetch is in flight, and returns the value then
// current. A caller that finds a fetch in flight waits for it (or for ctx)
// and returns its result, without checking stale again. A joined fetch
// that failed only because its own caller's context ended is not this
// caller's failure: it tries again, at most maxJoins times, then fetches
// itself. A failed fetch leaves the value as it was.
func (v *Value[T]) Replace(ctx context.Context, stale func(cur T, has bool) bool, fetch func(context.Context) (T, error)) (T, error) {
	for range maxJoins {
		v.mu.Lock()
		c := v.inflight
		if c == nil {
			return v.fetchLocked(ctx, stale, fetch)
		}
		v.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		if !c.ctxEnded {
			return c.val, c.err
		}
	}
	v.mu.Lock()
	return v.fetchLocked(ctx, stale, fetch)
}

// fetchLocked is called with v.mu held and releases it. If another fetch
// is in flight (after maxJoins), it is replaced as the one others join.
func (v *Value[T]) fetchLocked(ctx context.Context, stale func(cur T, has bool) bool, fetch func(context.Context) (T, error)) (T, error) {
	if !stale(v.cur, v.has) {
		cur := v.cur
		v.mu.Unlock()
		return cur, nil
	}
	c := &call[T]{done: make(chan struct{})}
	v.inflight = c
	v.mu.Unlock()

	c.val, c.err = fetch(ctx)
	c.ctxEnded = c.err != nil && ctx.Err() != nil

	v.mu.Lock()
	if c.err == nil {
		v.cur, v.has = c.val, true
	}
	if v.inflight == c {
		v.inflight = nil
	}
	v.mu.Unlock()
	close(c.done)
	return c.val, c.err
}
