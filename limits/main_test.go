package limits

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/internal/servertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// safety bounds a wait that only a missing defence would make long; no
// assertion depends on it.
const safety = 5 * time.Second

// The protocols client/server tests run over, and the runner and server
// that go with them.
type mode = servertest.Mode

const (
	http1Mode = servertest.HTTP1
	http2Mode = servertest.HTTP2
)

var (
	run       = servertest.Run
	newServer = servertest.NewServer
)

// do sends req with ts's client under the safety deadline and checks the
// protocol of the answer. The caller's body is read in full.
func do(t *testing.T, ts *httptest.Server, mode mode, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), safety)
	defer cancel()
	resp, err := ts.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	if got, want := resp.ProtoMajor, mode.ProtoMajor(); got != want {
		t.Fatalf("answer over HTTP/%d, want HTTP/%d", got, want)
	}
	return resp, body
}

// post builds a POST of body to ts; chunked hides the length from the
// client, so it sends the body chunked (HTTP/1.1) or without
// content-length (HTTP/2).
func post(t *testing.T, url string, body []byte, chunked bool) *http.Request {
	t.Helper()
	var r io.Reader = strings.NewReader(string(body))
	if chunked {
		r = io.MultiReader(r)
	}
	req, err := http.NewRequest(http.MethodPost, url, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// contextWithSafety returns a context that ends at the safety deadline.
func contextWithSafety() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), safety)
}

// wait blocks until c is closed or sends, r's context ends, or the safety
// deadline passes, so a handler waiting for a failed client cannot hang
// the server's Close.
func wait(r *http.Request, c <-chan struct{}) {
	select {
	case <-c:
	case <-r.Context().Done():
	case <-time.After(safety):
	}
}

// dial opens a raw attacker connection to ts, with the safety deadline on
// every read and write, closed when the test ends.
func dial(t *testing.T, ts *httptest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(safety))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dripper is an attacker writing a request head at once and then its body
// one byte at a time. It stops at the first write error, when stopped, or
// when the body is out; the test waits for it before ending.
type dripper struct {
	sent atomic.Int64 // body bytes written
	stop chan struct{}
	done chan struct{}
}

// drip starts a dripper on c. A zero every sends the whole body with the
// head.
func drip(t *testing.T, c net.Conn, head string, body []byte, every time.Duration) *dripper {
	t.Helper()
	d := &dripper{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		if every == 0 {
			if _, err := io.WriteString(c, head+string(body)); err == nil {
				d.sent.Store(int64(len(body)))
			}
			return
		}
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := range body {
			select {
			case <-d.stop:
				return
			case <-tick.C:
			}
			if _, err := c.Write(body[i : i+1]); err != nil {
				return
			}
			d.sent.Add(1)
		}
	}()
	t.Cleanup(func() {
		close(d.stop)
		<-d.done
	})
	return d
}

// Sent reports how many body bytes have been written so far.
func (d *dripper) Sent() int64 { return d.sent.Load() }

// readResponse reads one response from br, with its body, and reports how
// many body bytes the dripper had sent when the response head arrived.
func readResponse(t *testing.T, br *bufio.Reader, d *dripper) (resp *http.Response, body []byte, sentAtHead int64) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	if d != nil {
		sentAtHead = d.Sent()
	}
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp, body, sentAtHead
}

// closedByServer reports whether the server closed the connection (the
// client reads EOF or a reset) rather than holding it open until the
// safety deadline.
func closedByServer(br *bufio.Reader) (bool, error) {
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, err
	}
	return true, err
}

// decodeProblem checks that an answer is a problem document with status
// and code and returns it.
func decodeProblem(t *testing.T, resp *http.Response, body []byte, status int, code string) problem.Details {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %q", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, problem.ContentType)
	}
	var p problem.Details
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	if p.Status != status || p.Code != code {
		t.Fatalf("problem = %+v, want status %d code %q", p, status, code)
	}
	return p
}

// receive returns the next value from c, failing the test if none comes
// within the safety deadline.
func receive[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(safety):
		t.Fatalf("no %s within %v", what, safety)
		panic("unreachable")
	}
}
