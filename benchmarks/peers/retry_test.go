package peers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/harden-go/harden/retry"
)

// retryMemoryRT answers every request with 200 and an empty body, so that
// a benchmark through it measures only the retry layer above it.
type retryMemoryRT struct{}

func (retryMemoryRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

type retryVariant struct {
	name string
	rt   http.RoundTripper
}

// retryVariants are the transports compared, raw net/http first, then
// harden, then the peers, each with its default retry policy.
func retryVariants(tb testing.TB, base http.RoundTripper) []retryVariant {
	h, err := retry.NewTransport(base, retry.Policy{})
	if err != nil {
		tb.Fatal(err)
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: base}
	rc.Logger = nil
	return []retryVariant{
		{"raw", base},
		{"harden", h},
		{"go-retryablehttp", &retryablehttp.RoundTripper{Client: rc}},
		{"failsafe-go", failsafehttp.NewRoundTripper(base, failsafehttp.NewRetryPolicyBuilder().Build())},
	}
}

func retryRoundTrip(b *testing.B, rt http.RoundTripper, req *http.Request) {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// BenchmarkRetrySuccessInMemory is the cost of each retry layer alone on
// the success path: a GET answered 200 by an in-memory RoundTripper.
func BenchmarkRetrySuccessInMemory(b *testing.B) {
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	for _, v := range retryVariants(b, retryMemoryRT{}) {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				retryRoundTrip(b, v.rt, req)
			}
		})
	}
}

// BenchmarkRetrySuccessLoopback is a GET answered 200 "ok" over a loopback
// HTTP/1.1 keep-alive connection.
func BenchmarkRetrySuccessLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	for _, v := range retryVariants(b, base) {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				retryRoundTrip(b, v.rt, req)
			}
		})
	}
}

// Every variant answers the success path with the base's 200.
func TestRetryVariantsSucceed(t *testing.T) {
	for _, v := range retryVariants(t, retryMemoryRT{}) {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		resp, err := v.rt.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %v, %v; want 200", v.name, resp, err)
			continue
		}
		resp.Body.Close()
	}
}
