package httpx

import (
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/harden-go/harden"
)

// Defaults of the connection age (see "Connection age" in the package doc).
const (
	defaultMaxConnectionAge = 5 * harden.Minute
	connectionAgeJitter     = 0.1 // ±10%, as gRFC A9 spreads gRPC's MaxConnectionAge
)

// connTracker follows the server's connections for the two reasons a
// server asks a client to go elsewhere: the drain, which must know which
// connections speak HTTP/1.x and since when each has been idle, and the
// connection age, which retires connections older than a jittered age.
// It hooks http.Server's ConnContext and ConnState; [Server.connMarker]
// tells it the protocol from the requests it sees and answers
// Connection: close for it.
//
// An aged connection's next response carries Connection: close (on
// HTTP/2, net/http turns that header into a graceful GOAWAY); an aged
// HTTP/1.x connection is closed as soon as it is idle; one still busy a
// grace after its age is closed whatever it carries. An idle HTTP/2
// connection is left to its next request's GOAWAY or to the idle
// timeout's: closing it without a GOAWAY would fail a request the client
// may be sending on it, which Go's HTTP/2 client does not resend.
//
// It is safe for concurrent use; it holds no goroutine, and one timer per
// open connection only when connections age.
type connTracker struct {
	age, grace time.Duration // age <= 0: connections do not age; grace < 0: no bound
	rand       func() float64

	mu    sync.Mutex
	conns map[net.Conn]*trackedConn
}

type trackedConn struct {
	c     net.Conn
	http1 atomic.Bool
	h2    atomic.Bool
	old   atomic.Bool // past its age

	// guarded by connTracker.mu
	idleSince time.Time // zero while not idle
	timer     *time.Timer
}

// idleClosable reports whether tc is idle and closing it cannot race a
// request: on HTTP/1.x, where net/http's client resends a request that
// found its reused connection closed before writing anything.
func (tc *trackedConn) idleClosable() bool { return !tc.idleSince.IsZero() && !tc.h2.Load() }

type trackedConnKey struct{}

// newConnTracker returns a tracker whose connections age after age (±10%)
// and are cut a grace later; age <= 0 disables ageing.
func newConnTracker(age, grace time.Duration, rand func() float64) *connTracker {
	return &connTracker{age: age, grace: grace, rand: rand, conns: make(map[net.Conn]*trackedConn)}
}

// defaultAgeRand is the jitter source of a server's connection ages.
func defaultAgeRand() float64 { return rand.Float64() }

// lifetime is the age of one new connection: t.age ±10%, so that replicas
// started together do not recycle their connections in step.
func (t *connTracker) lifetime() time.Duration {
	f := 1 + connectionAgeJitter*(2*t.rand()-1)
	return time.Duration(float64(t.age) * f)
}

// connContext is http.Server.ConnContext: it starts tracking c.
func (t *connTracker) connContext(ctx context.Context, c net.Conn) context.Context {
	tc := &trackedConn{c: c}
	t.mu.Lock()
	t.conns[c] = tc
	if t.age > 0 {
		tc.timer = time.AfterFunc(t.lifetime(), func() { t.expire(tc) })
	}
	t.mu.Unlock()
	return context.WithValue(ctx, trackedConnKey{}, tc)
}

// connState is http.Server.ConnState: an aged connection turning idle
// closes; a closed or hijacked one is forgotten.
func (t *connTracker) connState(c net.Conn, s http.ConnState) {
	t.mu.Lock()
	tc, ok := t.conns[c]
	if !ok {
		t.mu.Unlock()
		return
	}
	cut := false
	switch s {
	case http.StateIdle:
		tc.idleSince = time.Now()
		if cs, ok := c.(*tls.Conn); ok && cs.ConnectionState().NegotiatedProtocol == "h2" {
			tc.h2.Store(true)
		}
		cut = tc.old.Load() && tc.idleClosable()
	case http.StateClosed, http.StateHijacked:
		if tc.timer != nil {
			tc.timer.Stop()
		}
		delete(t.conns, c)
	default:
		tc.idleSince = time.Time{}
	}
	t.mu.Unlock()
	if cut {
		_ = c.Close()
	}
}

// expire marks tc old, and when the grace is over, cuts it.
func (t *connTracker) expire(tc *trackedConn) {
	t.mu.Lock()
	cut := false
	switch {
	case t.conns[tc.c] != tc: // closed meanwhile
	case tc.old.Load(): // the grace is over
		cut = tc.idleSince.IsZero() || tc.idleClosable()
	default:
		tc.old.Store(true)
		cut = tc.idleClosable()
		if !cut && t.grace >= 0 {
			tc.timer = time.AfterFunc(t.grace, func() { t.expire(tc) })
		}
	}
	t.mu.Unlock()
	if cut {
		_ = tc.c.Close() // outside the lock: a TLS close may wait to send its alert
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
			if tc.timer != nil {
				tc.timer.Stop()
			}
			delete(t.conns, c)
		}
	}
}

// sweepIdle closes, every quarter of drain until stop is called, the
// HTTP/1.x keep-alive connections that have been idle for half of it.
// Connections in use were told to close by [Server.connMarker]'s
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
