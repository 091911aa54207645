package peers

import (
	"net/http"
	"testing"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/harden-go/harden/benchmarks/retrybench"
)

// retryVariants are the transports compared, raw net/http first, then
// harden, then the peers, each with its default retry policy.
func retryVariants(tb testing.TB, base http.RoundTripper) []retrybench.Variant {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: base}
	rc.Logger = nil
	return append(retrybench.Harden(tb, base),
		retrybench.Variant{Name: "go-retryablehttp", RT: &retryablehttp.RoundTripper{Client: rc}},
		retrybench.Variant{Name: "failsafe-go", RT: failsafehttp.NewRoundTripper(base, failsafehttp.NewRetryPolicyBuilder().Build())},
	)
}

// The success path of each retry layer alone, over an in-memory
// RoundTripper, and over a loopback keep-alive connection.
func BenchmarkRetrySuccessInMemory(b *testing.B) { retrybench.InMemory(b, retryVariants) }
func BenchmarkRetrySuccessLoopback(b *testing.B) { retrybench.Loopback(b, retryVariants) }

// Every variant answers the success path with the base's 200.
func TestRetryVariantsSucceed(t *testing.T) {
	for _, v := range retryVariants(t, retrybench.MemoryRT{}) {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		resp, err := v.RT.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %v, %v; want 200", v.Name, resp, err)
			continue
		}
		resp.Body.Close()
	}
}
