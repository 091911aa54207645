package middleware_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/harden-go/harden/middleware"
)

// A handler that waits on its context is answered 503 problem+json when
// the timeout passes, instead of leaving the client waiting.
func ExampleTimeout() {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // stands for a call that honours its context
	})
	ts := httptest.NewServer(middleware.Timeout(50 * time.Millisecond)(slow))
	defer ts.Close()

	resp, err := ts.Client().Get(ts.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var p struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status)
	fmt.Println(resp.Header.Get("Content-Type"))
	fmt.Println(p.Code)
	// Output:
	// 503 Service Unavailable
	// application/problem+json
	// handler_timeout
}
