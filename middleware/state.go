package middleware

import (
	"context"
	"net/http"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/internal/reqid"
)

// state is what the layers of one request share through its context: the
// route the mux matched, the guard that answered, and the logger of the
// access log. The first harden layer that sees the request creates it, so
// a request gets one however many layers it passes.
type state struct {
	answered problem.Answered

	// route is the pattern the mux matched. It is written by the layer
	// directly in front of the mux after the handler returns, and read by
	// the layers outside it afterwards, all on the serving goroutine.
	route string

	// traced is the request otelhttp handed the handler inside [Trace],
	// kept from when that handler returns until Trace hands back across
	// otelhttp's copy.
	traced *http.Request

	// logger is the access log's logger, the base of [Logger].
	logger *zap.Logger
	// scoped caches [Logger]'s answer for the last span it was asked for.
	scoped atomic.Pointer[scopedLogger]

	// id is the request ID when [RequestID] made the state; "" otherwise.
	id string
	// idHeader backs the value of the response's request-ID header.
	idHeader [1]string
	// rec is the recorder of the first layer that asks for one
	// ([state.recorder]), so that it costs no allocation of its own.
	rec recorder
	// ctx is the request's context that carries the state.
	ctx stateCtx
}

// stateCtx is a context carrying a request's state, its answer recorder
// and, when set, its request ID under one lookup, for one allocation
// (the state's) where three context.WithValue layers would each take
// one. It is a valueCtx in all but the number of keys it answers.
type stateCtx struct {
	context.Context
	st *state
}

func (c *stateCtx) Value(key any) any {
	switch key.(type) {
	case stateKey:
		return c.st
	case problem.AnsweredKey:
		return &c.st.answered
	case reqid.Key:
		if c.st.id != "" {
			return &c.st.id
		}
	}
	return c.Context.Value(key)
}

type stateKey struct{}

// stateFrom returns the request's state, or nil.
func stateFrom(ctx context.Context) *state {
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

// withState returns the request's state and a context that carries it:
// r's own when it has one, a new one otherwise, which the caller hands
// on with [reqcopy.With].
func withState(r *http.Request) (*state, context.Context) {
	if st := stateFrom(r.Context()); st != nil {
		return st, r.Context()
	}
	return newState(r.Context(), "")
}

// newState returns a new state and a copy of ctx that carries it, and
// the request ID id unless it is empty.
func newState(ctx context.Context, id string) (*state, context.Context) {
	st := &state{id: id}
	st.ctx = stateCtx{Context: ctx, st: st}
	return st, &st.ctx
}

// noteRoute records the pattern of r once the next handler has returned.
// Go's ServeMux sets Request.Pattern on the request it receives, and each
// harden layer hands it back to the request it received
// ([reqcopy.HandBack]); each layer asks, and the first answer sticks.
func noteRoute(st *state, r *http.Request) {
	if st != nil && st.route == "" && r.Pattern != "" {
		st.route = r.Pattern
	}
}

// routeOf returns the route recorded for the request.
func routeOf(st *state) string {
	if st == nil {
		return ""
	}
	return st.route
}
