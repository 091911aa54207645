// Package reqid carries the request ID in a context so that every package
// that answers or logs on behalf of a request (problem answers, access logs,
// client propagation) reads the same value without importing middleware.
package reqid

import "context"

// Key is the context key of the request ID. A context type that carries
// the ID in a field of its own answers Value(Key{}) with a *string to
// it, instead of a context.WithValue layer.
type Key struct{}

// With returns a copy of ctx that carries id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, Key{}, id)
}

// From returns the request ID carried by ctx, or "" when there is none.
func From(ctx context.Context) string {
	switch id := ctx.Value(Key{}).(type) {
	case string:
		return id
	case *string:
		return *id
	}
	return ""
}
