package retry

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/servertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type mode = servertest.Mode

// fakeClock reads the real time shifted by the waits it was asked for, and
// records those waits instead of sleeping. Deadlines of real contexts stay
// meaningful because no wait ever shortens the time left.
type fakeClock struct {
	mu      sync.Mutex
	offset  time.Duration
	sleeps  []time.Duration
	advance bool // move the clock forward by each wait
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	if c.advance {
		c.offset += d
	}
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// server is a loopback test server that counts requests and new
// connections.
type server struct {
	*httptest.Server
	hits  atomic.Int64
	conns atomic.Int64
}

func newServer(t *testing.T, m mode, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	switch m {
	case servertest.HTTP2:
		ts.EnableHTTP2 = true
		ts.StartTLS()
	default:
		ts.Start()
	}
	s.Server = ts
	t.Cleanup(func() {
		ts.Client().CloseIdleConnections()
		ts.Close()
	})
	return s
}

// base returns a fresh client transport for s, so that no test shares a
// connection pool with another.
func (s *server) base(t testing.TB) *http.Transport {
	tr := s.Client().Transport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// run runs f once per protocol.
func run(t *testing.T, f func(t *testing.T, m mode)) {
	servertest.Run(t, f)
}

// closeCounter is a request body that counts its Close calls.
type closeCounter struct {
	io.Reader
	closes atomic.Int64
}

func (c *closeCounter) Close() error {
	c.closes.Add(1)
	return nil
}

// fastPolicy retries at once, deterministically, without a budget.
func fastPolicy() Policy {
	return Policy{InitialBackoff: harden.Millisecond, MaxBackoff: harden.Millisecond, Jitter: -1, Budget: BudgetConfig{Ratio: -1}}
}

func mustTransport(t testing.TB, base http.RoundTripper, p Policy, opts ...Option) *Transport {
	t.Helper()
	tr, err := NewTransport(base, p, opts...)
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	return tr
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}
