package retrybench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"

	"github.com/harden-go/harden/retry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// memoryRT answers every request with 200 and an empty body, so that a
// benchmark through it measures only the layers above it.
type memoryRT struct{}

func (memoryRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, ContentLength: 0, Request: r}, nil
}

func newRetry(tb testing.TB, base http.RoundTripper) http.RoundTripper {
	tr, err := retry.NewTransport(base, retry.Policy{})
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// variants are the transports compared: raw first, then harden.
func variants(tb testing.TB, base http.RoundTripper) []struct {
	name string
	rt   http.RoundTripper
} {
	return []struct {
		name string
		rt   http.RoundTripper
	}{
		{"raw", base},
		{"harden", newRetry(tb, base)},
	}
}

func roundTrip(b *testing.B, rt http.RoundTripper, req *http.Request) {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// BenchmarkSuccessInMemory is the overhead of the retry layer alone: a GET
// answered 200 by an in-memory RoundTripper.
func BenchmarkSuccessInMemory(b *testing.B) {
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	for _, v := range variants(b, memoryRT{}) {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				roundTrip(b, v.rt, req)
			}
		})
	}
}

// BenchmarkSuccessLoopback is a GET answered 200 "ok" over a loopback
// HTTP/1.1 keep-alive connection.
func BenchmarkSuccessLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	for _, v := range variants(b, base) {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				roundTrip(b, v.rt, req)
			}
		})
	}
}

// BenchmarkSuccessLoopbackParallel is BenchmarkSuccessLoopback under
// contention, where the shared budget's lock would show.
func BenchmarkSuccessLoopbackParallel(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	defer base.CloseIdleConnections()
	for _, v := range variants(b, base) {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
				for pb.Next() {
					roundTrip(b, v.rt, req)
				}
			})
		})
	}
}

// The success path returns the base's response untouched.
func TestSuccessPathPassesThrough(t *testing.T) {
	rt := newRetry(t, memoryRT{})
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Request != req {
		t.Fatalf("got %v, %v; want the base's 200 for the caller's own request", resp, err)
	}
}
