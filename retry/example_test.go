package retry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/retry"
)

// A client whose server fails its first answer: the transport retries the
// GET and the caller sees only the success.
func Example() {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "hello")
	}))
	defer srv.Close()

	p := retry.DefaultPolicy()
	p.InitialBackoff = time.Millisecond // keep the example quick
	tr, err := retry.NewTransport(srv.Client().Transport, p)
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	resp, err := client.Get(srv.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), "after", calls.Load(), "attempts")
	// Output: 200 hello after 2 attempts
}

// Each tenant's requests carry that tenant's token; an expired token is
// renewed once and the request resent.
func ExampleTokenAuth() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer acme-2" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "welcome, acme")
	}))
	defer srv.Close()

	var issued atomic.Int64
	auth := retry.TokenAuth(func(ctx context.Context, tenant string) (retry.Token, error) {
		// A real fetch asks the identity provider for the tenant's token.
		return retry.Token{Value: fmt.Sprintf("%s-%d", tenant, issued.Add(1))}, nil
	})
	tr, err := retry.NewTransport(srv.Client().Transport, retry.Policy{}, retry.WithAuthenticator(auth))
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr}
	defer client.CloseIdleConnections()

	req, _ := http.NewRequestWithContext(retry.WithKey(context.Background(), "acme"), http.MethodGet, srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body), "with", issued.Load(), "tokens issued")
	// Output: welcome, acme with 2 tokens issued
}

// A policy read from the client.retry section of a config file, checked
// against the client's overall timeout.
func ExamplePolicy_ValidateWithin() {
	const file = `
max_attempts: 5
initial_backoff: 1s
max_backoff: 4s
`
	var p retry.Policy
	if err := yaml.Unmarshal([]byte(file), &p); err != nil {
		panic(err)
	}
	fmt.Println(p.ValidateWithin(10 * time.Second))
	// Output: client.retry.max_backoff: retries-within-deadline: the waits between 5 attempts can add up to 11s, not less than the overall timeout (10s), so the last attempts never start; lower max_backoff or max_attempts
}

// A URL as it may appear in a log line: no password, no query value, no
// fragment.
func ExampleRedactURL() {
	u, _ := url.Parse("https://user:pw@api.example/cb?code=abc&state=xyz#access_token=secret")
	fmt.Println(retry.RedactURL(u))
	// Output: https://user:xxxxx@api.example/cb?code=REDACTED&state=REDACTED#REDACTED
}

// An error of http.Client carries the request's URL, query and fragment
// included; RedactError takes the credentials out before it is logged.
func ExampleRedactError() {
	// What client.Get("https://api.example/v1/items?api_key=s3cr3t")
	// returns when the server hangs up.
	err := error(&url.Error{Op: "Get", URL: "https://api.example/v1/items?api_key=s3cr3t", Err: io.ErrUnexpectedEOF})
	fmt.Println(retry.RedactError(err))
	// Output: Get "https://api.example/v1/items?api_key=REDACTED": unexpected EOF
}

// A host that answers every request 503: once more than 120 requests
// (1 a second over the 2m window) have failed, adaptive throttling
// refuses some calls locally, and errors.Is tells them apart.
func ExampleErrThrottled() {
	var reached atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()

	p := retry.DefaultPolicy()
	p.MaxAttempts = 1 // first attempts only: the throttle, not the budget
	tr, err := retry.NewTransport(srv.Client().Transport, p)
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	const calls = 1000
	throttled := 0
	for range calls {
		resp, err := client.Get(srv.URL)
		if errors.Is(err, retry.ErrThrottled) {
			throttled++
			continue
		}
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
	}
	fmt.Println("some refused locally:", throttled > 0)
	fmt.Println("every call either reached the host or was refused:", int(reached.Load())+throttled == calls)
	// Output:
	// some refused locally: true
	// every call either reached the host or was refused: true
}
