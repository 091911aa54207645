package problem

import (
	"context"
	"net/http"
	"sync/atomic"
)

// Conn is what a connection learns from the answers given on it: whether
// harden refused an HTTP/1.x request that came with a body, which may
// still be arriving unread. The listener's connection (limits.NewListener)
// puts one in each connection's context through http.Server.ConnContext
// and lingers on close only when it is marked. It is safe for concurrent
// use.
type Conn struct {
	refused atomic.Bool
}

type connKey struct{}

// WithConn returns a copy of ctx whose refusals are recorded in c.
func WithConn(ctx context.Context, c *Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// Refused reports whether a refusal was written on the connection.
func (c *Conn) Refused() bool { return c.refused.Load() }

// markRefused records that r, which has a body, was refused on its
// connection.
func markRefused(r *http.Request) {
	if r == nil || r.ProtoMajor != 1 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	if c, ok := r.Context().Value(connKey{}).(*Conn); ok {
		c.refused.Store(true)
	}
}
