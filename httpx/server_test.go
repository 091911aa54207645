package httpx

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	_ "net/http/pprof" // registers on http.DefaultServeMux; the public server must not serve it
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/limits"
)

// safety bounds a wait that only a missing defence would make long; tests
// assert what happened, never how fast.
const safety = 5 * time.Second

// testConfig is a server config with short limits, so attacks end quickly.
func testConfig() ServerConfig {
	return ServerConfig{
		Timeouts: ServerTimeouts{
			ReadHeader: 200 * time.Millisecond,
			Handler:    300 * time.Millisecond,
			Idle:       300 * time.Millisecond,
		},
		Limits: ServerLimits{
			MaxHeaderBytes:   8 * KiB,
			MaxBodyBytes:     64 * KiB,
			BodyStallTimeout: 200 * time.Millisecond,
			BodyRateWindow:   200 * time.Millisecond,
		},
		Shutdown: ShutdownConfig{DrainDelay: -1, Timeout: 2 * time.Second},
	}
}

// serve starts a harden server for h on a loopback listener and stops it
// when the test ends.
func serve(t *testing.T, cfg ServerConfig, h http.Handler, opts ...ServerOption) (*Server, string) {
	t.Helper()
	srv, err := NewServer(cfg, h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, listen(t, srv.Serve, func(ctx context.Context) error {
		_ = srv.Shutdown(ctx) // a test may have shut it down already, with an error it checked
		return nil
	})
}

// listen runs serve on a fresh loopback listener and returns its address.
// When the test ends it calls stop and checks that serve returned
// http.ErrServerClosed.
func listen(t *testing.T, serve func(net.Listener) error, stop func(context.Context) error) string {
	t.Helper()
	return listenOn(t, "127.0.0.1:0", serve, stop)
}

// listenOn is listen on the address addr.
func listenOn(t *testing.T, addr string, serve func(net.Listener) error, stop func(context.Context) error) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stopping the server: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve = %v, want http.ErrServerClosed", err)
		}
	})
	return l.Addr().String()
}

func newClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: safety}
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, "ok")
})

// dial opens a raw client connection with a safety deadline.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	return dialFrom(t, "127.0.0.1", addr)
}

// closedByServer reports whether reading c ends because the server closed
// the connection, after reading and discarding any response. A read that
// hits the safety deadline means the server kept the connection open.
func closedByServer(c net.Conn) (bool, error) {
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, err
	}
	return true, err
}

// drip writes the first line, then one of lines every interval, in the
// background, and stops at the first write error. It returns how many of
// lines it wrote once the connection fails or all are written.
func drip(c net.Conn, first string, lines []string, interval time.Duration) <-chan int {
	n := make(chan int, 1)
	go func() {
		if _, err := io.WriteString(c, first); err != nil {
			n <- 0
			return
		}
		for i, l := range lines {
			time.Sleep(interval)
			if _, err := io.WriteString(c, l); err != nil {
				n <- i
				return
			}
		}
		n <- len(lines)
	}()
	return n
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(s, i)
	}
	return out
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	_, addr := serve(t, testConfig(), ok)
	c := dial(t, addr)
	lines := repeat("X-Slow-%d: 1\r\n", 60) // 3s of header lines at one per 50ms
	written := drip(c, "GET / HTTP/1.1\r\nHost: x\r\n", lines, 50*time.Millisecond)
	closed, err := closedByServer(c)
	if !closed {
		t.Fatalf("server kept a slow-header connection open: %v", err)
	}
	if n := <-written; n == len(lines) {
		t.Fatalf("server read all %d slow header lines before closing", n)
	}
}

func TestSilentConnectionsAreClosed(t *testing.T) {
	_, addr := serve(t, testConfig(), ok)
	c := dial(t, addr)
	if closed, err := closedByServer(c); !closed {
		t.Fatalf("server kept a silent connection open: %v", err)
	}
}

func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	_, addr := serve(t, testConfig(), ok)
	c := dial(t, addr)
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatal("server asked to close a healthy keep-alive connection")
	}
	_, err = io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server kept an idle keep-alive connection open: %v", err)
	}
}

func TestSlowBodyIsAborted(t *testing.T) {
	got := make(chan error, 1)
	_, addr := serve(t, testConfig(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		got <- err
	}))
	c := dial(t, addr)
	body := repeat("%d", 400)
	written := drip(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", body, 20*time.Millisecond)
	closed, err := closedByServer(c)
	if !closed {
		t.Fatalf("server kept a slow-body connection open: %v", err)
	}
	if n := <-written; n == len(body) {
		t.Fatal("server read the whole slow body")
	}
	var slow *limits.SlowBodyError
	if err := <-got; !errors.As(err, &slow) {
		t.Fatalf("handler read error = %v, want *limits.SlowBodyError", err)
	}
}

func TestBodyOverLimitByContentLength(t *testing.T) {
	type read struct {
		n   int64
		err error
	}
	got := make(chan read, 1)
	_, addr := serve(t, testConfig(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		got <- read{n, err}
	}))
	c := dial(t, addr)
	// Headers only: the answer must come without the server waiting for
	// (or reading) a single body byte.
	if _, err := io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer resp.Body.Close()
	p := decodeProblem(t, resp, http.StatusRequestEntityTooLarge)
	if p.Code != "body_too_large" {
		t.Errorf("code = %q, want body_too_large", p.Code)
	}
	if !resp.Close {
		t.Error("413 without Connection: close; the unread body would be parsed as the next request")
	}
	var mbe *http.MaxBytesError
	if r := <-got; r.n != 0 || !errors.As(r.err, &mbe) {
		t.Errorf("handler read %d bytes, error %v; want 0 and *http.MaxBytesError", r.n, r.err)
	}
}

// A route wrapped in limits.Body replaces the server-wide limit, larger or
// smaller.
func TestPerRouteBodyLimit(t *testing.T) {
	run(t, testPerRouteBodyLimit)
}

func testPerRouteBodyLimit(t *testing.T, m mode) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return
		}
		fmt.Fprint(w, n)
	})
	mux := http.NewServeMux()
	mux.Handle("POST /upload", limits.Body(1<<20)(echo))
	mux.Handle("POST /tiny", limits.Body(10)(echo))
	mux.Handle("/", echo)
	_, base, client := serveMode(t, m, testConfig(), mux) // server-wide: 64KiB
	tests := []struct {
		path   string
		size   int
		status int
	}{
		{"/upload", 512 << 10, http.StatusOK},
		{"/other", 512 << 10, http.StatusRequestEntityTooLarge},
		{"/other", 1 << 10, http.StatusOK},
		{"/tiny", 1 << 10, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.path, tc.size), func(t *testing.T) {
			req, _ := http.NewRequest("POST", base+tc.path, strings.NewReader(strings.Repeat("x", tc.size)))
			req.Header.Set("Expect", "100-continue")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			checkProto(t, m, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func TestChunkedBodyOverLimit(t *testing.T) {
	got := make(chan error, 1)
	_, addr := serve(t, testConfig(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		got <- err
		http.Error(w, "read failed", http.StatusBadRequest)
	}))
	c := dial(t, addr)
	// The body is written in the background and its write errors ignored:
	// the server answers and closes while the client still sends, and the
	// answer is what the test reads.
	go func() {
		_, _ = io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
		chunk := fmt.Sprintf("%x\r\n%s\r\n", 8<<10, strings.Repeat("a", 8<<10))
		for range 16 { // 128KiB, twice the limit
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(c, "0\r\n\r\n")
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	decodeProblem(t, resp, http.StatusRequestEntityTooLarge)
	var mbe *http.MaxBytesError
	if err := <-got; !errors.As(err, &mbe) {
		t.Fatalf("handler read error = %v, want *http.MaxBytesError", err)
	}
}

func TestHeaderBlockOverLimit(t *testing.T) {
	_, addr := serve(t, testConfig(), ok)
	tests := []struct {
		name   string
		n      int
		status int
	}{
		{"within limit", 10, http.StatusOK},
		{"over limit", 120, http.StatusRequestHeaderFieldsTooLarge}, // 120 x ~90 bytes > 8KiB
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
			for i := range tc.n {
				req.Header.Set(fmt.Sprintf("X-Filler-%03d", i), strings.Repeat("v", 70))
			}
			resp, err := newClient(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK {
				if p := decodeProblem(t, resp, tc.status); p.Code != "header_too_large" {
					t.Errorf("code = %q", p.Code)
				}
			}
		})
	}
}

func TestHandlerOverrunGetsProblemNotEOF(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		type result struct {
			ctxErr, writeErr error
		}
		got := make(chan result, 1)
		_, base, client := serveMode(t, m, testConfig(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			_, err := io.WriteString(w, "too late")
			got <- result{r.Context().Err(), err}
		}))
		resp, err := client.Get(base + "/slow")
		if err != nil {
			t.Fatalf("client saw %v, want a 503 answer", err)
		}
		defer resp.Body.Close()
		checkProto(t, m, resp)
		if p := decodeProblem(t, resp, http.StatusServiceUnavailable); p.Code != "handler_timeout" {
			t.Errorf("code = %q, want handler_timeout", p.Code)
		}
		r := <-got
		if !errors.Is(r.ctxErr, context.DeadlineExceeded) {
			t.Errorf("handler ctx error = %v, want deadline exceeded", r.ctxErr)
		}
		if !errors.Is(r.writeErr, http.ErrHandlerTimeout) {
			t.Errorf("late write error = %v, want http.ErrHandlerTimeout", r.writeErr)
		}
	})
}

func TestStreamingHandlerIsCutAtWriteDeadline(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		cfg := testConfig()
		cfg.Timeouts.Write = cfg.Timeouts.Handler + time.Second
		stopped := make(chan error, 1)
		_, base, client := serveMode(t, m, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			for range 500 { // 10s of chunks at one per 20ms
				if _, err := io.WriteString(w, "chunk\n"); err != nil {
					stopped <- err
					return
				}
				if err := rc.Flush(); err != nil {
					stopped <- err
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			stopped <- nil
		}))
		resp, err := client.Get(base + "/stream")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkProto(t, m, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d; the handler's stream was replaced", resp.StatusCode)
		}
		_, readErr := io.Copy(io.Discard, resp.Body)
		if err := <-stopped; err == nil {
			t.Fatal("handler streamed past the write deadline")
		}
		if readErr == nil {
			t.Error("client saw a complete response from a stream that was cut")
		}
	})
}

func TestConnectionCap(t *testing.T) {
	cfg := testConfig()
	cfg.Timeouts.ReadHeader = safety // idle connections must not be closed by the header timeout here
	cfg.Limits.MaxConnections = 2
	cfg.Limits.MaxConnectionsPerIP = -1
	_, addr := serve(t, cfg, ok)
	first, second := dial(t, addr), dial(t, addr)
	_ = second
	third := dial(t, addr)
	if closed, err := closedByServer(third); !closed {
		t.Fatalf("a connection over the cap was kept open: %v", err)
	}
	served(t, first)
}

func TestConnectionCapPerClientAddress(t *testing.T) {
	cfg := testConfig()
	cfg.Timeouts.ReadHeader = safety
	cfg.Limits.MaxConnectionsPerIP = 1
	_, addr := serve(t, cfg, ok)
	served(t, dialFrom(t, "127.0.0.1", addr))
	if closed, err := closedByServer(dialFrom(t, "127.0.0.1", addr)); !closed {
		t.Fatalf("a second connection from one address was kept open: %v", err)
	}
	served(t, dialFrom(t, "127.0.0.2", addr))
}

func TestNewServerRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  ServerConfig
		h    http.Handler
		rule string
	}{
		{"nil handler", ServerConfig{}, nil, RuleHandlerRequired},
		{"default mux", ServerConfig{}, http.DefaultServeMux, RuleNoDefaultMux},
		{"invalid config", ServerConfig{Timeouts: ServerTimeouts{ReadHeader: -1}}, ok, RuleHeaderTimeout},
		{"negative shutdown timeout", ServerConfig{Shutdown: ShutdownConfig{DrainDelay: -1, Timeout: -1}}, ok, RuleRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := NewServer(tc.cfg, tc.h)
			if srv != nil || findRule(err, tc.rule) == nil {
				t.Fatalf("NewServer = %v, %v; want refusal with %s", srv, err, tc.rule)
			}
		})
	}
}

func TestPublicServerDoesNotServePprof(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		mux := http.NewServeMux()
		mux.Handle("/", ok)
		_, base, client := serveMode(t, m, testConfig(), mux)
		resp, err := client.Get(base + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkProto(t, m, resp)
		body, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(body), "goroutine") {
			t.Fatalf("public server served profiles: %q", body)
		}
	})
	// The same request on http.DefaultServeMux does list them: the import
	// in this file is live.
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/", nil))
	if !strings.Contains(rec.Body.String(), "goroutine") {
		t.Fatal("net/http/pprof did not register on DefaultServeMux; the test proves nothing")
	}
}

type problemBody = problem.Details

func decodeProblem(t *testing.T, resp *http.Response, status int) problemBody {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d", resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, problem.ContentType)
	}
	var p problemBody
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("problem body: %v", err)
	}
	if p.Status != status {
		t.Errorf("problem status = %d, want %d", p.Status, status)
	}
	return p
}
