// Package retrybench measures what a retrying RoundTripper costs on the
// success path, against the bare transport it wraps. Its benchmark bodies
// are exported so that the peers module (benchmarks/peers) runs the very
// same measurements for go-retryablehttp and failsafe-go.
package retrybench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/retry"
)

// Variant is one RoundTripper under measurement.
type Variant struct {
	Name string
	RT   http.RoundTripper
}

// Variants builds the RoundTrippers to compare on top of base, raw first.
type Variants func(tb testing.TB, base http.RoundTripper) []Variant

// Harden is raw net/http and harden's retry.Transport with the default
// policy.
func Harden(tb testing.TB, base http.RoundTripper) []Variant {
	tr, err := retry.NewTransport(base, retry.Policy{})
	if err != nil {
		tb.Fatal(err)
	}
	return []Variant{{"raw", base}, {"harden", tr}}
}

// Clients is a bare *http.Client on base, the same with the overall
// Timeout httpx's client has (net/http's own cost of a deadline per
// call), and the client of [httpx.NewClient] with its defaults on the
// same base, each called
// through Client.Do: the whole success path of a request, request-ID
// propagation, retry policy, client span and the client's timeout
// included.
func Clients(tb testing.TB, base http.RoundTripper) []Variant {
	cfg := httpx.DefaultClientConfig()
	c, err := httpx.NewClient(cfg, httpx.WithBaseTransport(base))
	if err != nil {
		tb.Fatal(err)
	}
	return []Variant{
		{"net/http client", clientRT{&http.Client{Transport: base}}},
		{"net/http client with Timeout", clientRT{&http.Client{Transport: base, Timeout: cfg.Timeouts.Total.Std()}}},
		{"httpx.NewClient", clientRT{c}},
	}
}

// clientRT sends requests with a client's Do.
type clientRT struct{ c *http.Client }

func (c clientRT) RoundTrip(r *http.Request) (*http.Response, error) { return c.c.Do(r) }

// MemoryRT answers every request with 200 and an empty body, so that a
// benchmark through it measures only the layers above it.
type MemoryRT struct{}

// RoundTrip implements [http.RoundTripper].
func (MemoryRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

func roundTrip(b *testing.B, rt http.RoundTripper, req *http.Request) {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// InMemory is the cost of each layer alone on the success path: a GET
// answered 200 by [MemoryRT].
func InMemory(b *testing.B, variants Variants) {
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	for _, v := range variants(b, MemoryRT{}) {
		b.Run(v.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				roundTrip(b, v.RT, req)
			}
		})
	}
}

// okServer answers "ok" on a loopback listener until the benchmark ends,
// and returns its URL and a transport to it with up to idle idle
// connections.
func okServer(b *testing.B, idle int) (string, *http.Transport) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	b.Cleanup(srv.Close)
	base := srv.Client().Transport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = idle
	b.Cleanup(base.CloseIdleConnections)
	return srv.URL, base
}

// Loopback is a GET answered 200 "ok" over a loopback HTTP/1.1
// keep-alive connection.
func Loopback(b *testing.B, variants Variants) {
	url, base := okServer(b, 2)
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, v := range variants(b, base) {
		b.Run(v.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				roundTrip(b, v.RT, req)
			}
		})
	}
}

// LoopbackParallel is Loopback under contention, where a shared budget's
// lock would show.
func LoopbackParallel(b *testing.B, variants Variants) {
	url, base := okServer(b, 64)
	for _, v := range variants(b, base) {
		b.Run(v.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				for pb.Next() {
					roundTrip(b, v.RT, req)
				}
			})
		})
	}
}
