package tlstest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// The configs leave ALPN to net/http, so an mTLS round trip works over
// HTTP/1.1 and HTTP/2 alike, and the handler sees the client's identity.
func TestHTTPRoundTrip(t *testing.T) {
	ca := tlstest.NewCA(t)
	cli := ca.Client(t, "spiffe://example.org/ns/a/sa/b")
	for _, tc := range []struct {
		name  string
		http2 bool
		want  string
	}{
		{"HTTP/1.1", false, "1 spiffe://example.org/ns/a/sa/b"},
		{"HTTP/2", true, "2 spiffe://example.org/ns/a/sa/b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "%d %s", r.ProtoMajor, r.TLS.VerifiedChains[0][0].URIs[0])
			}))
			ts.EnableHTTP2 = tc.http2
			ts.TLS = ca.MTLSServerConfig(t, nil)
			ts.StartTLS()
			defer ts.Close()

			tr := &http.Transport{TLSClientConfig: ca.ClientConfig(cli), ForceAttemptHTTP2: true}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Get(ts.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != tc.want {
				t.Errorf("body %q, want %q", body, tc.want)
			}
		})
	}
}
