package retrybench

import (
	"net/http"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func BenchmarkSuccessInMemory(b *testing.B)         { InMemory(b, Harden) }
func BenchmarkSuccessLoopback(b *testing.B)         { Loopback(b, Harden) }
func BenchmarkSuccessLoopbackParallel(b *testing.B) { LoopbackParallel(b, Harden) }

// The whole client, httpx.NewClient against a bare http.Client on the
// same transport.
func BenchmarkClientInMemory(b *testing.B) { InMemory(b, Clients) }
func BenchmarkClientLoopback(b *testing.B) { Loopback(b, Clients) }

// The success path returns the base's response untouched.
func TestSuccessPathPassesThrough(t *testing.T) {
	rt := Harden(t, MemoryRT{})[1].RT
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Request != req {
		t.Fatalf("got %v, %v; want the base's 200 for the caller's own request", resp, err)
	}
}
