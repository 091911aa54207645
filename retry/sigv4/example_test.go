package sigv4_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/harden-go/harden/retry"
	"github.com/harden-go/harden/retry/sigv4"
	"github.com/harden-go/harden/retry/sigv4/sigv4test"
)

// A client of an S3-compatible server whose session credentials expire
// between two requests: the second is rejected with ExpiredToken, renews
// the credentials once and is resent, signed with the new ones.
func Example() {
	issuer := sigv4test.NewIssuer("us-east-1", "s3", nil) // stands in for STS
	srv := httptest.NewServer(issuer.Check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "object body")
	})))
	defer srv.Close()

	auth, err := sigv4.New(sigv4.Config{Region: "us-east-1", Service: "s3"}, issuer)
	if err != nil {
		panic(err)
	}
	tr, err := retry.NewTransport(nil, retry.DefaultPolicy(), retry.WithAuthenticator(auth))
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	for i := range 2 {
		if i == 1 {
			issuer.Expire()
		}
		resp, err := client.Get(srv.URL + "/bucket/key")
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body), "- credential fetches:", issuer.Fetches())
	}
	// Output:
	// 200 object body - credential fetches: 1
	// 200 object body - credential fetches: 2
}
