package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/harden-go/harden/internal/servertest"
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
	if got, want := resp.ProtoMajor, mode.ProtoMajor(); got != want {
		t.Fatalf("answer over HTTP/%d, want HTTP/%d", got, want)
	}
	return resp
}

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
