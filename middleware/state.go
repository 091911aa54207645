package middleware

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/internal/reqcopy"
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
	// req is the first request copy a layer hands on ([state.with]),
	// once copied is set, so that it costs no allocation of its own.
	req    http.Request
	copied bool
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
// ctx, the request's context, when it has one, a new one otherwise,
// which the caller hands on with [handOn].
func withState(ctx context.Context) (*state, context.Context) {
	if st := stateFrom(ctx); st != nil {
		return st, ctx
	}
	return newState(ctx, "")
}

// layer is the handler of a harden middleware that can be handed a
// request as r with the context ctx and, unless nil, the body body,
// without a copy of r being made for it. Between harden's layers a
// request passes this way, and only the last of them makes the copy the
// next handler receives: one copy instead of one per layer. ServeHTTP
// calls it with r's own context and body.
type layer func(w http.ResponseWriter, r *http.Request, ctx context.Context, body io.ReadCloser)

func (l layer) ServeHTTP(w http.ResponseWriter, r *http.Request) { l(w, r, r.Context(), nil) }

// handOn calls next with the request r as it should be: with context ctx
// and, unless nil, body body. A harden layer takes them as they are;
// any other handler gets a copy of r that carries them ([state.with]),
// and what it leaves on the copy is handed back to r ([reqcopy.Serve]).
func handOn(next http.Handler, st *state, w http.ResponseWriter, r *http.Request, ctx context.Context, body io.ReadCloser) {
	if l, ok := next.(layer); ok {
		l(w, r, ctx, body)
		return
	}
	reqcopy.Serve(next, w, r, st.with(r, ctx, body))
}

// with returns [reqcopy.With](r, ctx, body), made with [reqcopy.Into] in
// the state's own request the first time a copy is needed, so that it
// costs no allocation.
func (st *state) with(r *http.Request, ctx context.Context, body io.ReadCloser) *http.Request {
	if st == nil || st.copied || ((ctx == nil || ctx == r.Context()) && body == nil) {
		return reqcopy.With(r, ctx, body)
	}
	st.copied = true
	reqcopy.Into(&st.req, r, ctx, body)
	return &st.req
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
