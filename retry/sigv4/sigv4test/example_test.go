package sigv4test_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/harden-go/harden/retry/sigv4"
	"github.com/harden-go/harden/retry/sigv4/sigv4test"
)

// A request signed with a session that has since ended is rejected the
// way S3 rejects it.
func ExampleIssuer_Check() {
	issuer := sigv4test.NewIssuer("us-east-1", "s3", nil)
	srv := httptest.NewServer(issuer.Check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "signed by a live session")
	})))
	defer srv.Close()
	auth, err := sigv4.New(sigv4.Config{Region: "us-east-1", Service: "s3"}, issuer)
	if err != nil {
		panic(err)
	}

	send := func() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/bucket/key", nil)
		if err := auth.Authorize(req); err != nil { // signs; no retry.Transport here
			panic(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(body))
	}
	send()
	issuer.Expire()
	send()
	// Output:
	// 200 signed by a live session
	// 400 <?xml version="1.0" encoding="UTF-8"?>
	// <Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>
}
