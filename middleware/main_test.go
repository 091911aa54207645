package middleware_test

import (
	"context"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	// shortTimeout is a handler timeout the tests wait out.
	shortTimeout = 50 * time.Millisecond
	// longTimeout is a handler timeout no test reaches.
	longTimeout = time.Minute
	// safety only keeps a broken test from hanging; no assertion depends
	// on it.
	safety = 10 * time.Second
)

// mode is the protocol a client/server test runs over.
type mode string

const (
	http1Mode mode = "h1" // HTTP/1.1 over plain TCP
	http2Mode mode = "h2" // HTTP/2 over TLS
)

// run runs f as a subtest once per mode, HTTP/1.1 and HTTP/2 when modes
// is empty, in the manner of net/http's own client/server tests.
func run(t *testing.T, f func(t *testing.T, mode mode), modes ...mode) {
	t.Helper()
	if len(modes) == 0 {
		modes = []mode{http1Mode, http2Mode}
	}
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) { f(t, m) })
	}
}

// newServer starts h on a loopback listener speaking mode and closes it
// when the test ends. The server's error log is collected and reported
// after the server has stopped; lines that mean a response was written
// twice or written on a hijacked connection fail the test.
func newServer(t *testing.T, mode mode, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	logs := &lineLog{}
	ts.Config.ErrorLog = log.New(logs, "", 0)
	switch mode {
	case http1Mode:
		ts.Start()
	case http2Mode:
		ts.EnableHTTP2 = true
		ts.StartTLS()
	}
	t.Cleanup(func() {
		ts.Close() // waits for outstanding requests, so the log is final
		for _, l := range logs.lines() {
			if strings.Contains(l, "superfluous") || strings.Contains(l, "hijacked") {
				t.Errorf("server log: %s", l)
				continue
			}
			t.Logf("server log: %s", l)
		}
	})
	return ts
}

// do sends req with ts's client under a safety deadline and checks that
// the answer came over the protocol of mode.
func do(t *testing.T, ts *httptest.Server, mode mode, req *http.Request) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), safety)
	t.Cleanup(cancel)
	resp, err := ts.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	if got, want := resp.ProtoMajor, protoMajor[mode]; got != want {
		t.Fatalf("answer over HTTP/%d, want HTTP/%d", got, want)
	}
	return resp
}

var protoMajor = map[mode]int{http1Mode: 1, http2Mode: 2}

// get is do for a GET of ts's root.
func get(t *testing.T, ts *httptest.Server, mode mode) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, ts, mode, req)
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

// lineLog collects the lines of a log.Logger; it is safe for concurrent
// use.
type lineLog struct {
	mu sync.Mutex
	l  []string
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func (l *lineLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}
