package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/blackhole"
	"github.com/harden-go/harden/retry"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// backend serves h on a loopback listener speaking m (HTTP/2 over TLS
// with a certificate from an in-memory CA) until the test ends. It
// returns the server, whose URL names localhost (a tlsx client checks
// the certificate against a name, which crypto/tls does not report for
// an address), and a client config whose client.tls trusts it.
func backend(t *testing.T, m mode, h http.Handler) (*httptest.Server, ClientConfig) {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	var cfg ClientConfig
	if m == http2Mode {
		ca := tlstest.NewCA(t)
		ts.TLS = ca.ServerConfig(t, nil)
		ts.EnableHTTP2 = true
		ts.StartTLS()
		cfg.TLS.CAFile = ca.CertFile
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	ts.URL = strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
	return ts, cfg
}

// newTestClient is NewClient whose TLS source stops with the test and
// whose idle connections close before the servers' shutdown waits.
func newTestClient(t *testing.T, cfg ClientConfig, opts ...ClientOption) *http.Client {
	t.Helper()
	cl, err := NewClient(cfg, append(opts, WithContext(t.Context()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.CloseIdleConnections)
	return cl
}

// get sends a GET bounded by safety and returns its status and body.
func get(t *testing.T, cl *http.Client, url string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), safety)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// A new user's client: the defaults with one field changed.
func TestNewClientDefaultsWithOneChange(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		ts, cfg := backend(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok")
		}))
		cfg.Timeouts.Total = 10 * harden.Second
		cl := newTestClient(t, cfg)
		resp, body := get(t, cl, ts.URL)
		checkProto(t, m, resp)
		if resp.StatusCode != http.StatusOK || body != "ok" {
			t.Errorf("got %d %q, want 200 ok", resp.StatusCode, body)
		}
	})
}

// 64 concurrent callers of one host reuse their connections: the pool
// keeps as many idle as there are callers, where net/http's default of 2
// makes nearly every request open a new one (golang/go#13801).
func TestClientPoolBoundsNewConnections(t *testing.T) {
	const callers, requests = 64, 20
	count := func(t *testing.T, cl *http.Client) int64 {
		t.Helper()
		var conns atomic.Int64
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok")
		}))
		ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		ts.Start()
		defer ts.Close()
		defer cl.CloseIdleConnections()
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for range callers {
			wg.Go(func() {
				for range requests {
					resp, err := cl.Get(ts.URL)
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		return conns.Load()
	}
	harden := count(t, newTestClient(t, DefaultClientConfig()))
	stdlib := count(t, &http.Client{Transport: &http.Transport{}, Timeout: safety})
	t.Logf("new connections for %d callers x %d requests: harden %d, net/http defaults %d", callers, requests, harden, stdlib)
	// A caller may finish reading a response just before its connection
	// is back in the pool and dial another; the bound allows for that
	// and still sits far below the hundreds net/http's defaults open.
	if harden > 2*callers {
		t.Errorf("harden opened %d connections, want at most %d", harden, 2*callers)
	}
}

// A server that reads the request and never answers fails the call at
// timeouts.response_header, with an error a caller recognises as a
// timeout, while the overall timeout and the caller's context still run.
func TestClientResponseHeaderTimeout(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		release := make(chan struct{})
		var arrived atomic.Int32
		ts, cfg := backend(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived.Add(1)
			<-release
		}))
		t.Cleanup(func() { close(release) })
		cfg.Timeouts.ResponseHeader = 50 * harden.Millisecond
		cfg.Timeouts.Total = harden.Hour
		cfg.Retry.MaxAttempts = 1
		cl := newTestClient(t, cfg)

		ctx, cancel := context.WithTimeout(t.Context(), safety)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
		resp, err := cl.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatal("a server that never answers gave a response")
		}
		if ctx.Err() != nil {
			t.Fatalf("the call ran until the caller's context ended: %v", err)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("error %v does not report Timeout()", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v is not context.DeadlineExceeded", err)
		}
		if arrived.Load() != 1 {
			t.Errorf("the server saw %d requests, want 1", arrived.Load())
		}
	})
}

// dialRecorder counts a transport's dials and reports each connection's
// close on closed.
type dialRecorder struct {
	dials  atomic.Int32
	closed chan int32
}

func recordDials(tr *http.Transport) *dialRecorder {
	d := &dialRecorder{closed: make(chan int32, 16)}
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &recordedConn{Conn: c, n: d.dials.Add(1), closed: d.closed}, nil
	}
	return d
}

type recordedConn struct {
	net.Conn
	n      int32
	once   sync.Once
	closed chan<- int32
}

func (c *recordedConn) Close() error {
	c.once.Do(func() { c.closed <- c.n })
	return c.Conn.Close()
}

// An HTTP/2 connection that goes silent is found dead by a health PING
// and closed, and the next request opens a fresh connection, instead of
// waiting on the dead one until the kernel gives up on it.
func TestClientHTTP2PingClosesSilentConnection(t *testing.T) {
	ts, cfg := backend(t, http2Mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	proxy, err := blackhole.New(ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	cfg.HTTP2.PingAfter = 100 * harden.Millisecond
	cfg.HTTP2.PingTimeout = 100 * harden.Millisecond
	cfg.Timeouts.Idle = -1 // only the PING may close the connection
	tr, err := NewTransport(cfg, WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	dials := recordDials(tr)
	cl := newTestClient(t, ClientConfig{}, WithBaseTransport(tr))
	url := "https://" + strings.Replace(proxy.Addr(), "127.0.0.1", "localhost", 1)

	resp, _ := get(t, cl, url)
	checkProto(t, http2Mode, resp)
	proxy.Silence()
	select {
	case n := <-dials.closed:
		if n != 1 {
			t.Fatalf("connection %d closed, want the silent first one", n)
		}
	case <-time.After(safety):
		t.Fatal("the silent connection was not closed by a health PING")
	}
	if resp, body := get(t, cl, url); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Fatalf("after the dead connection: %d %q", resp.StatusCode, body)
	}
	if n := dials.dials.Load(); n != 2 {
		t.Errorf("%d connections dialled, want 2: the request after the dead one uses a new connection", n)
	}
}

// lazyCloser is a server that closes a keep-alive connection idle for at
// least idle only when the next request arrives on it, without answering:
// the race of a server or load balancer closing a connection just as the
// client sends on it, made certain.
func lazyCloser(t *testing.T, idle time.Duration) *httptest.Server {
	t.Helper()
	var since sync.Map // net.Conn -> time it turned idle
	type connKey struct{}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(connKey{}).(net.Conn)
		if at, ok := since.Load(c); ok && time.Since(at.(time.Time)) >= idle {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	}))
	ts.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	ts.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateIdle:
			since.Store(c, time.Now())
		case http.StateClosed, http.StateHijacked:
			since.Delete(c)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// With harden's ratio of client to server idle timeouts (50s to 120s,
// scaled down), no request fails on a connection the server closed,
// across idle gaps on both sides of the server's idle timeout. The
// requests are POSTs, which neither net/http nor the retry policy may
// resend. A client that keeps idle connections longer than the server
// fails on the same gaps, which shows the soak meets the race.
func TestClientIdleBelowServerSoak(t *testing.T) {
	const serverIdle = 500 * time.Millisecond
	clientIdle := time.Duration(float64(serverIdle) * defaultClientIdle.Std().Seconds() / DefaultServerConfig().Timeouts.Idle.Std().Seconds())
	// Gaps below the client's idle timeout, between the two, and on both
	// sides of the server's, in hundredths of the server's.
	var gaps []time.Duration
	for _, pct := range []int{5, 66, 93, 107, 5, 133, 117} {
		gaps = append(gaps, serverIdle*time.Duration(pct)/100)
	}
	soak := func(t *testing.T, idle time.Duration) (failed int) {
		ts := lazyCloser(t, serverIdle)
		cfg := DefaultClientConfig()
		cfg.Timeouts.Idle = harden.Duration(idle)
		cl := newTestClient(t, cfg)
		for _, gap := range append([]time.Duration{0}, gaps...) {
			time.Sleep(gap)
			resp, err := cl.Post(ts.URL, "text/plain", strings.NewReader("x"))
			if err != nil {
				t.Logf("after an idle gap of %v: %v", gap, err)
				failed++
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return failed
	}
	t.Run("harden", func(t *testing.T) {
		if n := soak(t, clientIdle); n != 0 {
			t.Errorf("%d requests failed on connections the server closed", n)
		}
	})
	t.Run("client idle above server", func(t *testing.T) {
		if n := soak(t, -1); n == 0 {
			t.Error("no request failed: the soak does not meet the race it guards against")
		}
	})
}

// countingAuth authorizes every attempt with a bearer token and counts
// the calls.
type countingAuth struct{ authorized, renewed atomic.Int32 }

func (a *countingAuth) Authorize(r *http.Request) error {
	a.authorized.Add(1)
	r.Header.Set("Authorization", "Bearer t")
	return nil
}

func (a *countingAuth) Renew(context.Context, *http.Request) error {
	a.renewed.Add(1)
	return nil
}

// The retry policy of the config resends a GET answered 503 until it
// succeeds, gives a POST without an Idempotency-Key one attempt, and the
// Authenticator authorizes every attempt.
func TestClientRetriesFromPolicy(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		var attempts, withAuth atomic.Int32
		ts, cfg := backend(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := attempts.Add(1)
			if r.Header.Get("Authorization") == "Bearer t" {
				withAuth.Add(1)
			}
			if r.URL.Path == "/post" || n < 3 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, "ok")
		}))
		cfg.Retry.InitialBackoff = harden.Millisecond
		auth := &countingAuth{}
		cl := newTestClient(t, cfg, WithAuthenticator(auth))

		resp, _ := get(t, cl, ts.URL+"/get")
		if resp.StatusCode != http.StatusOK || attempts.Load() != 3 {
			t.Errorf("GET: %d after %d attempts, want 200 after 3", resp.StatusCode, attempts.Load())
		}
		if auth.authorized.Load() != 3 || withAuth.Load() != 3 {
			t.Errorf("Authorize ran %d times, %d attempts carried its token; want 3 and 3", auth.authorized.Load(), withAuth.Load())
		}

		attempts.Store(0)
		resp, err := cl.Post(ts.URL+"/post", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || attempts.Load() != 1 {
			t.Errorf("POST: %d after %d attempts, want 503 after 1", resp.StatusCode, attempts.Load())
		}
	})
}

// A harden server's handler that calls another service through NewClient
// with the request's context sends the inbound request ID on every
// attempt, and each attempt is one client span under the server's span.
func TestClientCarriesRequestIDAndTraceAcrossHops(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	prop := propagation.TraceContext{}

	var (
		mu      sync.Mutex
		ids     []string
		parents []string
	)
	var attempts atomic.Int32
	down, cfg := backend(t, http1Mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("X-Request-ID"))
		sc := trace.SpanContextFromContext(prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header)))
		parents = append(parents, sc.SpanID().String())
		mu.Unlock()
		if attempts.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	cfg.Retry.InitialBackoff = harden.Millisecond
	cl := newTestClient(t, cfg, WithTracerProvider(tp), WithPropagators(prop))
	_, addr := serve(t, testConfig(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, down.URL, nil)
		resp, err := cl.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}), WithTracerProvider(tp), WithPropagators(prop))

	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req.Header.Set("X-Request-ID", "hop-test-42")
	caller := &http.Client{Transport: &http.Transport{}, Timeout: safety}
	t.Cleanup(caller.CloseIdleConnections)
	resp, err := caller.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 after retries", resp.StatusCode)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 3 {
		t.Fatalf("the service saw %d attempts, want 3", len(ids))
	}
	for i, id := range ids {
		if id != "hop-test-42" {
			t.Errorf("attempt %d carried request ID %q, want the inbound hop-test-42", i+1, id)
		}
	}
	var server trace.SpanContext
	clients := map[string]trace.SpanContext{}
	var clientParents []trace.SpanID
	for _, s := range exp.GetSpans() {
		switch s.SpanKind {
		case trace.SpanKindServer:
			server = s.SpanContext
		case trace.SpanKindClient:
			clients[s.SpanContext.SpanID().String()] = s.SpanContext
			clientParents = append(clientParents, s.Parent.SpanID())
		}
	}
	if len(clients) != 3 {
		t.Fatalf("%d client spans, want one per attempt (3)", len(clients))
	}
	for _, p := range clientParents {
		if p != server.SpanID() {
			t.Errorf("a client span's parent is %v, want the server span %v", p, server.SpanID())
		}
	}
	for i, p := range parents {
		if sc, ok := clients[p]; !ok || sc.TraceID() != server.TraceID() {
			t.Errorf("attempt %d arrived with parent span %s, not one of the client spans of the caller's trace", i+1, p)
		}
	}
}

// A client's error names the URL with its query and fragment, as
// net/http's does; retry.RedactError, which NewClient's documentation
// points to, takes the token out.
func TestClientErrorRedacted(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		ts, cfg := backend(t, m, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
		cfg.Retry.MaxAttempts = 1
		cl := newTestClient(t, cfg)
		resp, err := cl.Get(ts.URL + "/cb?token=s3cr3t#access_token=s3cr3t")
		if err == nil {
			resp.Body.Close()
			t.Fatal("got a response, want an error")
		}
		if !strings.Contains(err.Error(), "s3cr3t") {
			t.Fatalf("error %q already hides the token; the test shows nothing", err)
		}
		if red := retry.RedactError(err); strings.Contains(red.Error(), "s3cr3t") || !strings.Contains(red.Error(), "/cb?token=REDACTED#REDACTED") {
			t.Errorf("RedactError = %q, want the URL with the token redacted", red)
		}
	})
}
