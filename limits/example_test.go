package limits_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/harden-go/harden/limits"
)

// Body and Progress wrap a handler that stores uploads: a body of known
// length above the limit is refused before the handler runs, one of
// unknown length when the handler's read crosses the limit.
func Example() {
	store := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return // the guard that failed the read answers
		}
		fmt.Fprintf(w, "stored %d bytes\n", n)
	})
	h := limits.Body(1 << 10)(limits.Progress(limits.ProgressConfig{})(store))

	for _, body := range []io.Reader{
		strings.NewReader(strings.Repeat("x", 100)),
		strings.NewReader(strings.Repeat("x", 4096)),
		io.MultiReader(strings.NewReader(strings.Repeat("x", 4096))), // length unknown
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/upload", body))
		fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
		fmt.Print(rec.Body.String(), "\n")
	}
	// Output:
	// 200 text/plain; charset=utf-8
	// stored 100 bytes
	//
	// 413 application/problem+json
	// {"type":"about:blank","title":"Request Entity Too Large","status":413,"code":"body_too_large","detail":"the request declares a body of 4096 bytes; the limit is 1024 bytes"}
	// 413 application/problem+json
	// {"type":"about:blank","title":"Request Entity Too Large","status":413,"code":"body_too_large","detail":"the request body is larger than the limit of 1024 bytes"}
}

// A server capped at one connection closes a second one at once, so the
// client sees the refusal instead of waiting in the accept queue.
func ExampleNewListener() {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	l := limits.NewListener(inner, limits.ListenerConfig{Max: 1})
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	first, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	defer first.Close()
	fmt.Fprint(first, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	status, _ := io.ReadAll(io.LimitReader(first, int64(len("HTTP/1.1 404"))))
	fmt.Printf("first: %s\n", status)

	second, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		panic(err)
	}
	defer second.Close()
	_, err = second.Read(make([]byte, 1))
	fmt.Println("second:", err)
	fmt.Println("open:", l.Open(), "rejected:", l.Rejected())
	// Output:
	// first: HTTP/1.1 404
	// second: EOF
	// open: 1 rejected: 1
}

// A server listening on two addresses gives both listeners one budget:
// with a cap of one connection, a client on the second address is refused
// while the first holds the slot.
func ExampleConnBudget() {
	budget := limits.NewConnBudget(limits.ListenerConfig{Max: 1})
	srv := &http.Server{Handler: http.NotFoundHandler()}
	var addrs []string
	for range 2 {
		inner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		addrs = append(addrs, inner.Addr().String())
		l := budget.Listener(inner)
		go func() { _ = srv.Serve(l) }()
	}
	defer srv.Close()

	first, err := net.Dial("tcp", addrs[0])
	if err != nil {
		panic(err)
	}
	defer first.Close()
	fmt.Fprint(first, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	status, _ := io.ReadAll(io.LimitReader(first, int64(len("HTTP/1.1 404"))))
	fmt.Printf("first listener: %s\n", status)

	second, err := net.Dial("tcp", addrs[1])
	if err != nil {
		panic(err)
	}
	defer second.Close()
	_, err = second.Read(make([]byte, 1))
	fmt.Println("second listener:", err)
	fmt.Println("open:", budget.Open(), "rejected:", budget.Rejected())
	// Output:
	// first listener: HTTP/1.1 404
	// second listener: EOF
	// open: 1 rejected: 1
}

// A static limit of one request with no backlog: while a request is being
// served, the next is shed at once with a 503 the client can act on, and
// the health check, exempt, still answers.
func ExampleConcurrency() {
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	h := limits.Concurrency(limits.ConcurrencyConfig{
		Mode:    limits.ModeStatic,
		Max:     1,
		Backlog: -1,
		Exempt:  []string{"GET /healthz"},
	})(mux)

	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/report", nil))
	}()
	<-entered
	for _, path := range []string{"/report", "/healthz"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(path, rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	close(release)
	<-done
	// Output:
	// /report 503 1 {"type":"about:blank","title":"Service Unavailable","status":503,"code":"overloaded","detail":"the server is at its concurrency limit"}
	// /healthz 200  ok
}
