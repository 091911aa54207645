package middleware

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// deadlines are the two ways of giving a context a deadline of one
// second that the tests compare: context.WithDeadline, and Timeout's
// deadlineCtx with the timer that expires it. Each returns the context
// and the function that ends it early, as a handler's return does.
var deadlines = []struct {
	name string
	make func(parent context.Context) (context.Context, func())
}{
	{"context.WithTimeout", func(parent context.Context) (context.Context, func()) {
		return context.WithTimeout(parent, time.Second)
	}},
	{"deadlineCtx", func(parent context.Context) (context.Context, func()) {
		c := new(deadlineCtx)
		c.init(parent, time.Now(), time.Second)
		t := time.AfterFunc(time.Until(c.deadline), c.expire)
		return c, func() { t.Stop(); c.cancel(context.Canceled) }
	}},
}

// deadlineCtx behaves as context.WithTimeout does in every way a handler
// can observe: before, at and after the deadline, when the parent is
// cancelled first, for contexts derived from it, for context.AfterFunc
// and context.Cause.
func TestDeadlineCtxLikeWithTimeout(t *testing.T) {
	type seen struct {
		errBefore, errAfter, cause, childErr, grandchildErr error
		afterFuncRan, doneClosed                            bool
		deadline                                            time.Duration
	}
	observe := func(mk func(context.Context) (context.Context, func()), parentCancelled bool) (s seen) {
		synctest.Test(t, func(t *testing.T) {
			parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), stateKey{}, "v"))
			defer cancelParent()
			start := time.Now()
			ctx, cancel := mk(parent)
			defer cancel()
			dl, ok := ctx.Deadline()
			if !ok || ctx.Value(stateKey{}) != "v" {
				t.Errorf("deadline %v %v, value %v; want a deadline and the parent's values", dl, ok, ctx.Value(stateKey{}))
			}
			s.deadline = dl.Sub(start)
			s.errBefore = ctx.Err()
			child, cancelChild := context.WithCancel(ctx)
			defer cancelChild()
			ran := make(chan struct{})
			context.AfterFunc(ctx, func() { close(ran) })
			if parentCancelled {
				// Seen before the deadline, which would end it anyway.
				time.Sleep(time.Second / 2)
				cancelParent()
			} else {
				time.Sleep(2 * time.Second)
			}
			synctest.Wait()
			// What watchers see first, before Err is asked.
			select {
			case <-ran:
				s.afterFuncRan = true
			default:
			}
			s.childErr = child.Err()
			select {
			case <-ctx.Done():
				s.doneClosed = true
			default:
			}
			grandchild, cancelGrandchild := context.WithTimeout(child, time.Hour)
			defer cancelGrandchild()
			s.errAfter, s.cause, s.grandchildErr = ctx.Err(), context.Cause(ctx), grandchild.Err()
		})
		return s
	}
	for _, parentCancelled := range []bool{false, true} {
		want := observe(deadlines[0].make, parentCancelled)
		got := observe(deadlines[1].make, parentCancelled)
		if got != want {
			t.Errorf("parent cancelled %v:\n got %+v\nwant %+v", parentCancelled, got, want)
		}
	}
}

// A parent cancelled while nobody watches the context is seen by Err,
// and Done is then closed: the two never disagree.
func TestDeadlineCtxErrAndDoneAgree(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	c := new(deadlineCtx)
	c.init(parent, time.Now(), time.Hour)
	cancelParent()
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err = %v, want the parent's Canceled", err)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Err reported an error while Done was open")
	}
}

// The parent's earlier deadline is the context's.
func TestDeadlineCtxKeepsEarlierParentDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c := new(deadlineCtx)
		c.init(parent, time.Now(), time.Hour)
		if dl, _ := c.Deadline(); !dl.Equal(time.Now().Add(time.Second)) {
			t.Errorf("deadline in %v, want the parent's in 1s", time.Until(dl))
		}
	})
}
