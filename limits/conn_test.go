package limits

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/harden-go/harden"
)

// guardedServer serves h on a loopback Listener whose connections enforce
// cfg, with ConnContext installed as package httpx installs it.
func guardedServer(t *testing.T, cfg ConnConfig, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Listener = NewListener(ts.Listener, ListenerConfig{Conn: cfg})
	ts.Config.ConnContext = ConnContext
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// flood writes a chunked request head and then chunks of body on c, one
// every pace, until a write fails, stop is closed, or max bytes are out.
// It returns the channel on which it reports the bytes sent and its last
// error.
type floodResult struct {
	sent int64
	err  error
}

func flood(c net.Conn, pace time.Duration, max int64, stop <-chan struct{}) <-chan floodResult {
	done := make(chan floodResult, 1)
	go func() {
		if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"); err != nil {
			done <- floodResult{0, err}
			return
		}
		chunk := fmt.Sprintf("%x\r\n%s\r\n", 4<<10, strings.Repeat("a", 4<<10))
		var sent int64
		for sent < max {
			select {
			case <-stop:
				done <- floodResult{sent, nil}
				return
			case <-time.After(pace):
			}
			if _, err := io.WriteString(c, chunk); err != nil {
				done <- floodResult{sent, err}
				return
			}
			sent += 4 << 10
		}
		done <- floodResult{sent, nil}
	}()
	return done
}

// A client that keeps sending the body the server refused still reads the
// refusal, and the lingering close ends by itself: at its byte bound
// against a fast sender, at its time bound against a slow one.
func TestLingeringCloseDeliversRefusalAndEnds(t *testing.T) {
	const limit = 1 << 10
	tests := []struct {
		name string
		cfg  ConnConfig
		pace time.Duration
	}{
		{"byte bound", ConnConfig{LingerTimeout: harden.Hour, LingerMaxBytes: 256 << 10}, 0},
		{"time bound", ConnConfig{LingerTimeout: 100 * harden.Millisecond, LingerMaxBytes: 1 << 40}, 5 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := guardedServer(t, tc.cfg, Body(limit)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
			})))
			c := dial(t, ts)
			stop := make(chan struct{})
			defer close(stop)
			// Far more than both bounds: only the server's close stops
			// the flood before the safety deadline.
			sent := flood(c, tc.pace, 1<<30, stop)
			resp, body, _ := readResponse(t, bufio.NewReader(c), nil)
			decodeProblem(t, resp, body, http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
			if r := receive(t, sent, "end of the flood"); r.err == nil {
				t.Fatalf("the client sent %d bytes and the server was still reading", r.sent)
			}
		})
	}
}

// Go's client stops at the first failed write of a body the server
// refused: when the server closes on the unread rest, the reset reaches
// the client's writer before its reader has taken the answer, and the
// caller gets "connection reset by peer" instead of the 413. The lingering
// close keeps the writer going until the reader has the answer.
//
// net/http itself half-closes and waits 500ms after a body limit it
// knows of, but it learns of the limit only when [http.MaxBytesReader]
// is given its own ResponseWriter; behind a middleware that wraps the
// writer (an access log, otelhttp), as here, it closes at once.
func TestLingeringCloseDeliversRefusalToGoClient(t *testing.T) {
	h := Body(1 << 20)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	ts := guardedServer(t, ConnConfig{LingerTimeout: harden.Duration(safety), LingerMaxBytes: 64 << 20}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(unwrapper{w}, r)
	}))
	for range 3 { // one pass may win the race by luck
		resp, body := do(t, ts, http1Mode, post(t, ts.URL, make([]byte, 8<<20), true))
		decodeProblem(t, resp, body, http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
	}
}

// unwrapper wraps a ResponseWriter the way middleware does, reaching the
// connection through Unwrap only.
type unwrapper struct{ http.ResponseWriter }

func (u unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// stalledReader asks for a large response and reads none of it, or reads
// a few bytes at a time when pace is set.
func stalledReader(t *testing.T, ts *httptest.Server, pace time.Duration, stop <-chan struct{}) net.Conn {
	t.Helper()
	c := dial(t, ts)
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if pace > 0 {
		go func() {
			buf := make([]byte, 64)
			for {
				select {
				case <-stop:
					return
				case <-time.After(pace):
				}
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	return c
}

// A client that stops reading, or reads a few bytes at a time, has its
// connection ended by the write guard and reset, instead of holding the
// handler and the unsent response until the write deadline.
func TestWriteGuardEndsSlowReaders(t *testing.T) {
	tests := []struct {
		name string
		cfg  ConnConfig
		pace time.Duration
	}{
		{"stall", ConnConfig{WriteStallTimeout: 100 * harden.Millisecond}, 0},
		{"rate", ConnConfig{MinWriteRate: 64 << 20, WriteRateWindow: 50 * harden.Millisecond}, 2 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wrote := make(chan error, 1)
			ts := guardedServer(t, tc.cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				chunk := make([]byte, 1<<20)
				for range 256 { // 256MiB: far beyond every buffer on the way
					if _, err := w.Write(chunk); err != nil {
						wrote <- err
						return
					}
				}
				wrote <- nil
			}))
			stop := make(chan struct{})
			defer close(stop)
			c := stalledReader(t, ts, tc.pace, stop)
			if err := receive(t, wrote, "end of the handler's writes"); err == nil {
				t.Fatal("the handler wrote the whole response to a reader that does not read")
			}
			_ = c.SetReadDeadline(time.Now().Add(safety))
			_, err := io.Copy(io.Discard, c)
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("the client's read ended with %v, want a reset (SO_LINGER 0)", err)
			}
		})
	}
}

// The rate counts only the time writes wait on the peer: pieces the
// kernel takes at once never trip it, however long the handler pauses
// between them.
func TestWriteRateCountsOnlyBlockedTime(t *testing.T) {
	c := &conn{cfg: ConnConfig{MinWriteRate: 1 << 20, WriteRateWindow: harden.Second}}
	for range 1000 {
		if !c.keepsRate(1, 0) {
			t.Fatal("an instant write tripped the rate")
		}
	}
	if c.keepsRate(1, 2*time.Second) {
		t.Fatal("one byte in two seconds of waiting kept a rate of 1MiB/s")
	}
	if !c.keepsRate(4<<20, 2*time.Second) {
		t.Fatal("4MiB in two seconds did not keep a rate of 1MiB/s")
	}
}

// A guarded connection copies through ReadFrom in pieces, the whole of
// what it is given.
func TestGuardedConnReadFrom(t *testing.T) {
	c, client := acceptOne(t, ListenerConfig{Conn: ConnConfig{WriteStallTimeout: harden.Duration(safety)}})
	want := strings.Repeat("z", 3*writePiece+1)
	read := make(chan string, 1)
	go func() {
		got, _ := io.ReadAll(client)
		read <- string(got)
	}()
	if n, err := c.(io.ReaderFrom).ReadFrom(strings.NewReader(want)); n != int64(len(want)) || err != nil {
		t.Fatalf("ReadFrom = %d, %v; want %d, nil", n, err, len(want))
	}
	_ = c.Close()
	if got := receive(t, read, "client's read"); got != want {
		t.Fatalf("client read %d bytes, want %d", len(got), len(want))
	}
}

// The cost of a write on a connection whose peer keeps up, by size: the
// bare TCP connection, then one under the guard with the stall timeout
// and the rate httpx sets by default.
func BenchmarkConnWrite(b *testing.B) {
	guards := []struct {
		name string
		cfg  ConnConfig
	}{
		{"raw", ConnConfig{}},
		{"guarded", ConnConfig{WriteStallTimeout: DefaultStallTimeout, MinWriteRate: DefaultMinRate, WriteRateWindow: DefaultWindow}},
	}
	for _, g := range guards {
		for _, size := range []int{256, 64 << 10} {
			b.Run(fmt.Sprintf("%s/%d", g.name, size), func(b *testing.B) {
				server, client := acceptOne(b, ListenerConfig{Conn: g.cfg})
				drained := make(chan struct{})
				go func() {
					defer close(drained)
					_, _ = io.Copy(io.Discard, client)
				}()
				p := make([]byte, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := server.Write(p); err != nil {
						b.Fatal(err)
					}
				}
				_ = server.Close()
				<-drained
			})
		}
	}
}

// The server's write deadline bounds a guarded write even when the kernel
// would take it at once: a write after the deadline fails as a timeout,
// and the connection is then reset.
func TestGuardedWriteKeepsServerDeadline(t *testing.T) {
	c, client := acceptOne(t, ListenerConfig{Conn: ConnConfig{WriteStallTimeout: harden.Duration(safety), MinWriteRate: 1, WriteRateWindow: harden.Duration(safety)}})
	if _, err := c.Write([]byte("before")); err != nil {
		t.Fatalf("write before the deadline: %v", err)
	}
	_ = c.SetWriteDeadline(time.Now().Add(-time.Second))
	if n, err := c.Write([]byte("after")); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write after the deadline = %d, %v; want 0, a deadline error", n, err)
	}
	_ = c.Close()
	_ = client.SetReadDeadline(time.Now().Add(safety))
	if _, err := io.Copy(io.Discard, client); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the client's read ended with %v, want a reset (SO_LINGER 0)", err)
	}
}

// A guarded write to a peer that reset the connection fails as a write on
// the bare connection does: a *net.OpError for "write" carrying the reset.
func TestGuardedWriteReportsReset(t *testing.T) {
	c, client := acceptOne(t, ListenerConfig{Conn: ConnConfig{WriteStallTimeout: harden.Duration(safety)}})
	_ = client.(*net.TCPConn).SetLinger(0)
	_ = client.Close()
	// The reset arrives after the close; until it does, writes succeed.
	var err error
	for deadline := time.Now().Add(safety); err == nil && time.Now().Before(deadline); {
		_, err = c.Write([]byte("x"))
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "write" || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("write after the peer's reset: %v; want a write error carrying ECONNRESET", err)
	}
}
