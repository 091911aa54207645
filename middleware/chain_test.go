package middleware_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/servertest"
	"github.com/harden-go/harden/limits"
	"github.com/harden-go/harden/middleware"
)

func TestChainOrder(t *testing.T) {
	var order []string
	mark := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := middleware.Chain(mark("a"), nil, mark("b"), mark("c"))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		order = append(order, "h")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if got := strings.Join(order, ","); got != "a,b,c,h" {
		t.Errorf("order %s, want a,b,c,h", got)
	}
	if h := http.NotFoundHandler(); fmt.Sprint(middleware.Chain()(h)) != fmt.Sprint(h) {
		t.Error("empty Chain wrapped the handler")
	}
}

// guardCase is a request that one of Default's guards answers.
type guardCase struct {
	name   string
	status int
	code   string
	// send sends the request that trips the guard to url with client.
	send func(t *testing.T, c *http.Client, url string) *http.Response
}

func post(body func() io.Reader, length int64) func(t *testing.T, c *http.Client, url string) *http.Response {
	return func(t *testing.T, c *http.Client, url string) *http.Response {
		t.Helper()
		var rd io.Reader
		if body != nil {
			rd = body()
		}
		req, err := http.NewRequest(http.MethodPost, url, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		t.Cleanup(cancel)
		resp, err := c.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
}

// TestDefaultGuardAnswersCarryIDs proves that each guard's early answer
// is logged once, with the request ID the client received and the trace
// and span IDs of the server span, and that the answer quotes the same
// request ID.
func TestDefaultGuardAnswersCarryIDs(t *testing.T) {
	cfg := middleware.DefaultConfig{
		HandlerTimeout: harden.Second,
		MaxBodyBytes:   8,
		Progress:       limits.ProgressConfig{StallTimeout: harden.Duration(shortTimeout), MinRate: -1},
	}
	cases := []guardCase{
		{"413", http.StatusRequestEntityTooLarge, limits.CodeBodyTooLarge, post(func() io.Reader { return strings.NewReader("0123456789") }, 10)},
		{"408", http.StatusRequestTimeout, limits.CodeBodyTooSlow, nil},
		{"503", http.StatusServiceUnavailable, middleware.CodeHandlerTimeout, func(t *testing.T, c *http.Client, url string) *http.Response {
			return post(nil, 0)(t, c, url+"/slow")
		}},
		{"500", http.StatusInternalServerError, middleware.CodePanic, func(t *testing.T, c *http.Client, url string) *http.Response {
			return post(nil, 0)(t, c, url+"/panic")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, mode mode) {
				tp, exp := newTracing(t)
				logger, logs := newLog()
				mux := http.NewServeMux()
				mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
				mux.HandleFunc("POST /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
				mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) { _, _ = io.ReadAll(r.Body) })
				c := cfg
				if tc.code == middleware.CodeHandlerTimeout {
					c.HandlerTimeout = harden.Duration(shortTimeout)
				}
				ts := newServer(t, mode, middleware.Default(c, middleware.WithLogger(logger), middleware.WithTracerProvider(tp))(mux))
				send := tc.send
				stop := make(chan struct{})
				if send == nil {
					send = post(func() io.Reader { return &servertest.StalledBody{Stop: stop} }, 2)
				}
				resp := send(t, ts.Client(), ts.URL)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				p := readProblem(t, resp)
				id := resp.Header.Get("X-Request-ID")
				if p.Code != tc.code || p.RequestID != id || id == "" {
					t.Errorf("problem %+v, want code %s and request_id %q", p, tc.code, id)
				}
				_, _ = io.ReadAll(resp.Body)
				close(stop) // the stalled body ends, and with it the request
				ts.Close()  // every span ended, every line written
				spans := exp.GetSpans()
				if len(spans) != 1 {
					t.Fatalf("%d spans, want 1", len(spans))
				}
				checkLine(t, only(t, logs, "request"), spans[0], id, tc.status, tc.code)
			})
		})
	}
}

// checkLine checks that an access-log line names the answer and carries
// the IDs of span and the request ID id.
func checkLine(t *testing.T, e interface {
	ContextMap() map[string]any
}, span tracetest.SpanStub, id string, status int, code string) {
	t.Helper()
	m := e.ContextMap()
	if m["status"] != int64(status) || m["answered_by"] != code {
		t.Errorf("logged status %v answered_by %v, want %d %s", m["status"], m["answered_by"], status, code)
	}
	want := map[string]string{
		"request_id": id,
		"trace_id":   span.SpanContext.TraceID().String(),
		"span_id":    span.SpanContext.SpanID().String(),
	}
	for k, v := range want {
		if got := fmt.Sprint(m[k]); got != v {
			t.Errorf("logged %s %q, want %q", k, got, v)
		}
	}
}

// TestDefaultStreams checks that a handler under the whole chain, with
// otelhttp's wrapper in it, reaches the connection through
// http.ResponseController and that each flush reaches the client before
// the handler goes on.
func TestDefaultStreams(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		tp, _ := newTracing(t)
		next := make(chan struct{})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			for name, err := range map[string]error{
				"SetReadDeadline":  rc.SetReadDeadline(time.Now().Add(time.Minute)),
				"SetWriteDeadline": rc.SetWriteDeadline(time.Now().Add(time.Minute)),
				"EnableFullDuplex": rc.EnableFullDuplex(),
			} {
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			if _, ok := w.(http.Flusher); !ok {
				t.Errorf("%T is not an http.Flusher", w)
			}
			for i := range 3 {
				_, _ = fmt.Fprintf(w, "chunk %d\n", i)
				if err := rc.Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
				select {
				case <-next:
				case <-r.Context().Done():
					return
				}
			}
		})
		ts := newServer(t, mode, middleware.Default(middleware.DefaultConfig{}, middleware.WithTracerProvider(tp))(h))
		resp := get(t, ts, mode)
		br := bufio.NewReader(resp.Body)
		for i := range 3 {
			line, err := br.ReadString('\n')
			if err != nil || line != fmt.Sprintf("chunk %d\n", i) {
				t.Fatalf("read %q, %v; want chunk %d before the handler goes on", line, err, i)
			}
			next <- struct{}{}
		}
	})
}

// TestDefaultNamesSpanAfterRoute checks that the route of a mux inside
// the chain, behind layers that hand on copies of the request, names the
// span and reaches the access log.
func TestDefaultNamesSpanAfterRoute(t *testing.T) {
	tp, exp := newTracing(t)
	logger, logs := newLog()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	h := middleware.Default(middleware.DefaultConfig{}, middleware.WithLogger(logger), middleware.WithTracerProvider(tp))(mux)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/items/7", nil))
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "GET /items/{id}" {
		t.Fatalf("spans %v, want one named GET /items/{id}", spans)
	}
	if route := attr(spans[0], "http.route").AsString(); route != "/items/{id}" {
		t.Errorf("http.route %q, want /items/{id}", route)
	}
	if got := field(only(t, logs, "request"), "route"); got != "GET /items/{id}" {
		t.Errorf("logged route %q", got)
	}
}

// TestRouteThroughCopyingMiddleware pins what [middleware.Default]'s
// documentation says of application middleware between it and the mux:
// one that hands the mux a copy of the request hides the route from the
// span and the access log unless it hands the copy's Pattern back.
func TestRouteThroughCopyingMiddleware(t *testing.T) {
	type key struct{}
	cases := []struct {
		name     string
		handBack bool
		route    string
	}{
		{"copy", false, ""},
		{"copy handed back", true, "GET /items/{id}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := newLog()
			mux := http.NewServeMux()
			mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
			copying := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					cp := r.WithContext(context.WithValue(r.Context(), key{}, "v"))
					next.ServeHTTP(w, cp)
					if tc.handBack {
						r.Pattern = cp.Pattern
					}
				})
			}
			h := middleware.Default(middleware.DefaultConfig{}, middleware.WithLogger(logger))(copying(mux))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/items/7", nil))
			if got := field(only(t, logs, "request"), "route"); got != tc.route {
				t.Errorf("logged route %q, want %q", got, tc.route)
			}
		})
	}
}
