package middleware

import (
	"context"
	"sync"
	"time"
)

// deadlineCtx is the context [Timeout] gives the handler: its parent's
// values and cancellation, and a deadline, with the behaviour of
// context.WithDeadline's (Deadline, Done, Err, Cause, and children
// cancelled with DeadlineExceeded when it passes). Unlike
// context.WithDeadline it has no timer of its own (Timeout's one timer
// expires it and answers in one step), and it registers with its parent
// only once somebody asks for Done or derives a context from it, which
// most requests never do: golang/go#64400 measured the cost of the timer
// and registration that a request pays for a deadline it never reaches.
//
// It is used from the handler's goroutines and the timer's; mu guards
// its state.
type deadlineCtx struct {
	parent   context.Context
	deadline time.Time

	mu      sync.Mutex
	done    chan struct{} // made by the first Done or AfterFunc
	err     error         // set once
	unwatch func() bool   // stops the registration with the parent
	funcs   []*afterFunc  // AfterFunc's callbacks, until cancel runs them
}

type afterFunc struct{ f func() }

var _ context.Context = (*deadlineCtx)(nil)

// init sets c up under parent with a deadline d after now, or the
// parent's deadline when it is earlier, and returns the time from now
// to the deadline.
func (c *deadlineCtx) init(parent context.Context, now time.Time, d time.Duration) time.Duration {
	c.parent = parent
	c.deadline = now.Add(d)
	if pd, ok := parent.Deadline(); ok && pd.Before(c.deadline) {
		c.deadline = pd
		d = pd.Sub(now)
	}
	return d
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *deadlineCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watchLocked()
	return c.done
}

// watchLocked makes the done channel and, while c is live, registers
// with the parent so that its cancellation reaches c. c.mu is held.
func (c *deadlineCtx) watchLocked() {
	if c.done != nil {
		return
	}
	c.done = make(chan struct{})
	switch {
	case c.err != nil:
		close(c.done)
	case c.parent.Done() != nil:
		c.unwatch = context.AfterFunc(c.parent, func() { c.cancel(c.parent.Err()) })
	}
}

// Err reports why c is done. A parent cancelled while nobody watched is
// noticed here, so that Err and Done always agree.
func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		if err := c.parent.Err(); err != nil {
			c.cancelLocked(err)
		}
	}
	return c.err
}

// Value is the parent's. (context.Cause finds no cancelCtx of c's
// own and falls back to Err, which is the cause of a passed deadline.)
func (c *deadlineCtx) Value(key any) any { return c.parent.Value(key) }

// AfterFunc runs f in its own goroutine once c is done, as
// context.AfterFunc does; contexts derived from c use it to be
// cancelled with c, without a goroutine each.
func (c *deadlineCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	c.watchLocked()
	a := &afterFunc{f: f}
	c.funcs = append(c.funcs, a)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, g := range c.funcs {
			if g == a {
				c.funcs = append(c.funcs[:i], c.funcs[i+1:]...)
				return true
			}
		}
		return false
	}
}

// expire marks the deadline passed, unless c is already done.
func (c *deadlineCtx) expire() {
	if err := c.parent.Err(); err != nil {
		c.cancel(err)
		return
	}
	c.cancel(context.DeadlineExceeded)
}

func (c *deadlineCtx) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelLocked(err)
}

// cancelLocked ends c with err, the first time. c.mu is held.
func (c *deadlineCtx) cancelLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	for _, a := range c.funcs {
		go a.f()
	}
	c.funcs = nil
	if c.unwatch != nil {
		c.unwatch()
	}
}

// String names c as context.WithDeadline's does, for debugging.
func (c *deadlineCtx) String() string {
	return "middleware.Timeout(" + c.deadline.String() + ")"
}
