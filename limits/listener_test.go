package limits

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// cappedServer serves an "ok" handler on a loopback listener capped at max
// and reports each connection the server has closed on the returned
// channel.
func cappedServer(t *testing.T, max int) (*httptest.Server, *Listener, <-chan struct{}) {
	t.Helper()
	return limitedServer(t, ListenerConfig{Max: max})
}

// limitedServer is cappedServer for any ListenerConfig.
func limitedServer(t *testing.T, cfg ListenerConfig) (*httptest.Server, *Listener, <-chan struct{}) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	l := NewListener(ts.Listener, cfg)
	ts.Listener = l
	closed := make(chan struct{}, 16)
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, l, closed
}

// get sends a GET on c and reads the answer, so the connection is known to
// be accepted and served; the connection stays open (keep-alive).
func get(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, body, _ := readResponse(t, br, nil)
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Fatalf("answer %d %q, want 200 \"ok\"", resp.StatusCode, body)
	}
}

func TestListenerClosesConnectionsBeyondCap(t *testing.T) {
	ts, l, closed := cappedServer(t, 2)
	c1, c2 := dial(t, ts), dial(t, ts)
	get(t, c1, bufio.NewReader(c1))
	get(t, c2, bufio.NewReader(c2))

	// At the cap: the third is closed at once, not left waiting.
	c3 := dial(t, ts)
	if n, err := c3.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("connection beyond the cap: read %d, %v; want EOF from a prompt close", n, err)
	}
	if got := l.Rejected(); got != 1 {
		t.Errorf("Rejected() = %d, want 1", got)
	}
	if got := l.Open(); got != 2 {
		t.Errorf("Open() = %d, want 2", got)
	}

	// A closed connection frees its slot for the next client.
	_ = c1.Close()
	receive(t, closed, "server-side close of the first connection")
	if got := l.Open(); got != 1 {
		t.Errorf("Open() after a close = %d, want 1", got)
	}
	c4 := dial(t, ts)
	get(t, c4, bufio.NewReader(c4))
	if got := l.Rejected(); got != 1 {
		t.Errorf("Rejected() = %d after a connection under the cap, want 1", got)
	}
}

func TestListenerWithoutCap(t *testing.T) {
	for _, max := range []int{0, -1} {
		t.Run(fmt.Sprintf("max=%d", max), func(t *testing.T) {
			ts, l, _ := cappedServer(t, max)
			for range 5 {
				c := dial(t, ts)
				get(t, c, bufio.NewReader(c))
			}
			if l.Rejected() != 0 || l.Open() != 5 {
				t.Errorf("Rejected() = %d, Open() = %d; want 0 and 5", l.Rejected(), l.Open())
			}
		})
	}
}

func TestListenerConnCloseFreesSlotOnce(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(inner, ListenerConfig{Max: 1})
	t.Cleanup(func() { _ = l.Close() })
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if l.Open() != 1 {
		t.Fatalf("Open() = %d after Accept, want 1", l.Open())
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Close()
		}()
	}
	wg.Wait()
	if got := l.Open(); got != 0 {
		t.Fatalf("Open() = %d after concurrent Closes, want 0", got)
	}
}

func TestListenerCloseEndsAccept(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(inner, ListenerConfig{Max: 1})
	accepted := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		accepted <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := receive(t, accepted, "Accept result"); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close = %v, want net.ErrClosed", err)
	}
}

// net/http serves files with sendfile when the connection is an
// io.ReaderFrom; the capped connection must stay one.
func TestListenerConnKeepsReaderFrom(t *testing.T) {
	c, client := acceptOne(t, ListenerConfig{Max: 1})
	rf, ok := c.(io.ReaderFrom)
	if !ok {
		t.Fatal("accepted connection is not an io.ReaderFrom")
	}
	if n, err := rf.ReadFrom(strings.NewReader("hello")); n != 5 || err != nil {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	_ = c.Close()
	if got, _ := io.ReadAll(client); string(got) != "hello" {
		t.Fatalf("client read %q, want \"hello\"", got)
	}
}

// acceptOne returns both ends of one connection accepted by a Listener
// with cfg on loopback; both close when the test ends.
func acceptOne(t testing.TB, cfg ListenerConfig) (server, client net.Conn) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(inner, cfg)
	t.Cleanup(func() { _ = l.Close() })
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	server, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Close() })
	return server, client
}

// dialFrom connects to ts from the loopback address local (any of
// 127.0.0.0/8 is the same host), as another client would.
func dialFrom(t *testing.T, ts *httptest.Server, local string) net.Conn {
	t.Helper()
	return dialAddr(t, local, ts.Listener.Addr().String())
}

func TestListenerCapsEachClientAddress(t *testing.T) {
	ts, l, closed := limitedServer(t, ListenerConfig{Max: 10, MaxPerIP: 2})
	a1, a2 := dialFrom(t, ts, "127.0.0.1"), dialFrom(t, ts, "127.0.0.1")
	get(t, a1, bufio.NewReader(a1))
	get(t, a2, bufio.NewReader(a2))

	a3 := dialFrom(t, ts, "127.0.0.1")
	if n, err := a3.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("third connection from one address: read %d, %v; want EOF from a prompt close", n, err)
	}
	if got := l.OpenFrom(a1.LocalAddr()); got != 2 {
		t.Errorf("OpenFrom = %d, want 2", got)
	}
	// Another client is not held back by the first one's connections.
	b := dialFrom(t, ts, "127.0.0.2")
	get(t, b, bufio.NewReader(b))
	if got := l.Rejected(); got != 1 {
		t.Errorf("Rejected() = %d, want 1", got)
	}
	// A closed connection frees the address's slot.
	_ = a1.Close()
	receive(t, closed, "server-side close of the first connection")
	a4 := dialFrom(t, ts, "127.0.0.1")
	get(t, a4, bufio.NewReader(a4))
}

func TestClientKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"192.0.2.1", "192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
		{"2001:db8::1", "2001:db8::ffff:1", true}, // one /64
		{"2001:db8::1", "2001:db8:0:1::1", false}, // the next /64
	}
	for _, tc := range tests {
		t.Run(tc.a+" "+tc.b, func(t *testing.T) {
			ka, _ := clientKey(&net.TCPAddr{IP: net.ParseIP(tc.a)})
			kb, _ := clientKey(&net.TCPAddr{IP: net.ParseIP(tc.b)})
			if (ka == kb) != tc.same {
				t.Errorf("keys %v and %v: same = %v, want %v", ka, kb, ka == kb, tc.same)
			}
		})
	}
}

// budgetServer serves an "ok" handler on two loopback listeners that share
// one budget capped as cfg says, and returns their addresses.
func budgetServer(t *testing.T, cfg ListenerConfig) (*ConnBudget, [2]string) {
	t.Helper()
	b := NewConnBudget(cfg)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})}
	var addrs [2]string
	var served sync.WaitGroup
	for i := range addrs {
		inner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = inner.Addr().String()
		l := b.Listener(inner)
		served.Go(func() { _ = srv.Serve(l) })
	}
	t.Cleanup(func() {
		_ = srv.Close()
		served.Wait()
	})
	return b, addrs
}

// dialAddr connects to addr from the loopback address local.
func dialAddr(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: safety}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(safety))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// refused fails the test unless the server closed c without answering.
func refused(t *testing.T, c net.Conn, what string) {
	t.Helper()
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("%s: read %d, %v; want EOF from a prompt close", what, n, err)
	}
}

func TestConnBudgetIsSharedByItsListeners(t *testing.T) {
	b, addrs := budgetServer(t, ListenerConfig{Max: 2})
	for _, addr := range addrs {
		c := dialAddr(t, "127.0.0.1", addr)
		get(t, c, bufio.NewReader(c))
	}
	for _, addr := range addrs {
		refused(t, dialAddr(t, "127.0.0.1", addr), "a third connection, on either listener")
	}
	if b.Open() != 2 || b.Rejected() != 2 {
		t.Fatalf("Open() = %d, Rejected() = %d; want 2 and 2", b.Open(), b.Rejected())
	}
}

func TestConnBudgetCapsEachClientAcrossListeners(t *testing.T) {
	b, addrs := budgetServer(t, ListenerConfig{Max: 10, MaxPerIP: 1})
	first := dialAddr(t, "127.0.0.1", addrs[0])
	get(t, first, bufio.NewReader(first))
	refused(t, dialAddr(t, "127.0.0.1", addrs[1]), "the same client on the other listener")
	other := dialAddr(t, "127.0.0.2", addrs[1])
	get(t, other, bufio.NewReader(other))
	if got := b.OpenFrom(first.LocalAddr()); got != 1 {
		t.Fatalf("OpenFrom = %d, want 1", got)
	}
}
