package httpx

import (
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults of the connection age (see "Connection age" in the package doc).
const (
	defaultMaxConnectionAge = 5 * time.Minute
	connectionAgeJitter     = 0.1 // ±10%, as gRFC A9 spreads gRPC's MaxConnectionAge
)

// connAges retires connections older than a jittered age: a request that
// starts on an old connection is answered with Connection: close (on
// HTTP/2, net/http turns that header into a graceful GOAWAY); an old
// HTTP/1.x connection is closed as soon as it is idle; one still busy a
// grace after its age is closed whatever it carries. An idle HTTP/2
// connection is left to its next request's GOAWAY or to the idle
// timeout's: closing it without a GOAWAY would fail a request the client
// may be sending on it, which Go's HTTP/2 client does not resend. It is
// safe for concurrent use; it holds no goroutines, only one timer per
// open connection, stopped when the connection closes.
type connAges struct {
	age, grace time.Duration // grace < 0: no bound
	rand       func() float64

	mu    sync.Mutex
	conns map[net.Conn]*agedConn
}

// agedConn is one connection's age state, guarded by connAges.mu.
type agedConn struct {
	c     net.Conn
	old   bool // past its age
	idle  bool
	h2    bool
	timer *time.Timer
}

// idleClosable reports whether ac is idle and closing it cannot race a
// request: on HTTP/1.x, where net/http's client resends a request that
// found its reused connection closed before writing anything.
func (ac *agedConn) idleClosable() bool { return ac.idle && !ac.h2 }

type agedConnKey struct{}

// newConnAges returns the age keeper of a server, or nil when age is
// disabled (negative).
func newConnAges(age, grace time.Duration, rand func() float64) *connAges {
	if age <= 0 {
		return nil
	}
	return &connAges{age: age, grace: grace, rand: rand, conns: make(map[net.Conn]*agedConn)}
}

// install hooks a into hs's ConnContext and ConnState, keeping hooks
// already set there.
func (a *connAges) install(hs *http.Server) {
	if a == nil {
		return
	}
	prevCtx, prevState := hs.ConnContext, hs.ConnState
	hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prevCtx != nil {
			ctx = prevCtx(ctx, c)
		}
		return context.WithValue(ctx, agedConnKey{}, a.open(c))
	}
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		a.track(c, st)
		if prevState != nil {
			prevState(c, st)
		}
	}
}

// lifetime is the age of one new connection: a.age ±10%, so that replicas
// started together do not recycle their connections in step.
func (a *connAges) lifetime() time.Duration {
	f := 1 + connectionAgeJitter*(2*a.rand()-1)
	return time.Duration(float64(a.age) * f)
}

func (a *connAges) open(c net.Conn) *agedConn {
	ac := &agedConn{c: c}
	a.mu.Lock()
	a.conns[c] = ac
	ac.timer = time.AfterFunc(a.lifetime(), func() { a.expire(ac) })
	a.mu.Unlock()
	return ac
}

// expire marks ac old, and when the grace is over, cuts it.
func (a *connAges) expire(ac *agedConn) {
	a.mu.Lock()
	cut := false
	switch {
	case a.conns[ac.c] != ac: // closed meanwhile
	case ac.old: // the grace is over
		cut = !ac.idle || ac.idleClosable()
	default:
		ac.old = true
		cut = ac.idleClosable()
		if !cut && a.grace >= 0 {
			ac.timer = time.AfterFunc(a.grace, func() { a.expire(ac) })
		}
	}
	a.mu.Unlock()
	if cut {
		ac.c.Close() // outside the lock: a TLS close may wait to send its alert
	}
}

// track follows c's state: an old connection turning idle closes; a
// closed or hijacked one is forgotten.
func (a *connAges) track(c net.Conn, st http.ConnState) {
	a.mu.Lock()
	ac := a.conns[c]
	cut := false
	switch {
	case ac == nil:
	case st == http.StateIdle:
		ac.idle = true
		if tc, ok := c.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol == "h2" {
			ac.h2 = true
		}
		cut = ac.old && ac.idleClosable()
	case st == http.StateActive:
		ac.idle = false
	case st == http.StateClosed, st == http.StateHijacked:
		ac.timer.Stop()
		delete(a.conns, c)
	}
	a.mu.Unlock()
	if cut {
		c.Close()
	}
}

// marker answers every request that starts on an old connection with
// Connection: close. On HTTP/1.1 the connection closes after that
// response; on HTTP/2 net/http's server removes the header and sends a
// graceful GOAWAY, so the client opens a new connection for its next
// request while the streams in flight finish.
func (a *connAges) marker(h http.Handler) http.Handler {
	if a == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ac, ok := r.Context().Value(agedConnKey{}).(*agedConn); ok {
			a.mu.Lock()
			old := ac.old
			ac.h2 = ac.h2 || r.ProtoMajor == 2
			a.mu.Unlock()
			if old {
				w.Header().Set("Connection", "close")
			}
		}
		h.ServeHTTP(w, r)
	})
}

// defaultAgeRand is the jitter source of a server's connection ages.
func defaultAgeRand() float64 { return rand.Float64() }
