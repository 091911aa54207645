package httpx

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connTracker knows, for the drain, which of the server's connections
// speak HTTP/1.x and since when each has been idle. It hooks
// http.Server's ConnContext and ConnState; the drain marker tells it the
// protocol from the requests it sees.
type connTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]*trackedConn
}

type trackedConn struct {
	http1     atomic.Bool
	idleSince time.Time // zero while not idle; guarded by connTracker.mu
}

type trackedConnKey struct{}

func newConnTracker() *connTracker {
	return &connTracker{conns: make(map[net.Conn]*trackedConn)}
}

// connContext is http.Server.ConnContext: it starts tracking c.
func (t *connTracker) connContext(ctx context.Context, c net.Conn) context.Context {
	tc := &trackedConn{}
	t.mu.Lock()
	t.conns[c] = tc
	t.mu.Unlock()
	return context.WithValue(ctx, trackedConnKey{}, tc)
}

// connState is http.Server.ConnState.
func (t *connTracker) connState(c net.Conn, s http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tc, ok := t.conns[c]
	if !ok {
		return
	}
	switch s {
	case http.StateIdle:
		tc.idleSince = time.Now()
	case http.StateClosed, http.StateHijacked:
		delete(t.conns, c)
	default:
		tc.idleSince = time.Time{}
	}
}

// markHTTP1 records that r's connection speaks HTTP/1.x.
func markHTTP1(r *http.Request) {
	if tc, ok := r.Context().Value(trackedConnKey{}).(*trackedConn); ok && r.ProtoMajor == 1 {
		tc.http1.Store(true)
	}
}

// closeIdle closes the HTTP/1.x connections idle since cutoff or earlier.
// A metered connection on which the next request has begun to arrive is
// spared: net/http calls it idle until the whole header block is in.
// HTTP/2 connections are left to the GOAWAY of http.Server.Shutdown.
func (t *connTracker) closeIdle(cutoff time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c, tc := range t.conns {
		if mc, ok := c.(*meteredConn); ok && mc.receiving() {
			continue
		}
		if tc.http1.Load() && !tc.idleSince.IsZero() && !tc.idleSince.After(cutoff) {
			_ = c.Close()
			delete(t.conns, c)
		}
	}
}

// sweepIdle closes, every quarter of drain until stop is called, the
// HTTP/1.x keep-alive connections that have been idle for half of it.
// Connections in use were told to close by the drain marker's
// Connection: close; these are the ones that sent nothing since the drain
// began. Closed now, while the server still accepts, their clients notice
// and reconnect (to this server or, once the endpoint change has spread,
// another); left to http.Server.Shutdown, they would be closed as the
// listener closes, where a client sending on one loses its request
// (golang/go#22682 describes the same race for new connections). A
// connection used within the last half-drain is not closed: its client is
// likely about to send on it, and its next answer will carry
// Connection: close. stop waits for the sweeper to end.
func (t *connTracker) sweepIdle(drain time.Duration) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		tick := time.NewTicker(max(drain/4, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				t.closeIdle(now.Add(-drain / 2))
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}
