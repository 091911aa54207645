package problem

import (
	"context"
	"net/http"
	"sync/atomic"
)

// Answered records which guard, if any, answered a request, so that the
// access log can say who answered without parsing the response body. The
// access log puts one in the request's context with [WithAnswered];
// [Write] records the code of the problem answer it writes there. It is
// safe for concurrent use: a guard may answer from a goroutine of its own
// (the handler timeout's deadline callback).
type Answered struct {
	code atomic.Pointer[string]
}

// AnsweredKey is the context key of the recorder. A context type that
// carries the recorder in a field of its own answers Value(AnsweredKey{})
// with it, instead of a context.WithValue layer.
type AnsweredKey struct{}

// WithAnswered returns a copy of ctx whose problem answers are recorded
// in a.
func WithAnswered(ctx context.Context, a *Answered) context.Context {
	return context.WithValue(ctx, AnsweredKey{}, a)
}

// AnsweredFrom returns the recorder carried by ctx, or nil.
func AnsweredFrom(ctx context.Context) *Answered {
	a, _ := ctx.Value(AnsweredKey{}).(*Answered)
	return a
}

// Code returns the code of the first problem answer written for the
// request, or "" when no guard answered.
func (a *Answered) Code() string {
	if p := a.code.Load(); p != nil {
		return *p
	}
	return ""
}

// record notes code as the answer for r when r's context carries a
// recorder. Only the first answer counts: it is the one that reached the
// client, a later one being a superfluous write.
func record(r *http.Request, code string) {
	if r == nil {
		return
	}
	if a := AnsweredFrom(r.Context()); a != nil {
		a.code.CompareAndSwap(nil, &code)
	}
}
