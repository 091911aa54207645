package httpx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/harden-go/harden/internal/servertest"
)

// TestEarlyAnswersAreLoggedWithTheirIDs proves that every answer a guard
// of the server gives on its own (431, 413, 408, 503, 500) is logged by
// the access log with the request ID the client received and the trace
// and span IDs of the request's span.
func TestEarlyAnswersAreLoggedWithTheirIDs(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		// request builds the request that trips the guard; stop ends a
		// body that the test holds open.
		request func(base string, stop <-chan struct{}) *http.Request
	}{
		{"header too large", http.StatusRequestHeaderFieldsTooLarge, "header_too_large", func(base string, _ <-chan struct{}) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
			for i := range 120 {
				req.Header.Set(fmt.Sprintf("X-Filler-%03d", i), strings.Repeat("v", 70))
			}
			return req
		}},
		{"body too large", http.StatusRequestEntityTooLarge, "body_too_large", func(base string, _ <-chan struct{}) *http.Request {
			req, _ := http.NewRequest(http.MethodPost, base+"/read", strings.NewReader(strings.Repeat("a", 128<<10)))
			// Refused before the body is sent, so the client does not
			// fail writing it to a closed connection.
			req.Header.Set("Expect", "100-continue")
			return req
		}},
		{"body too slow", http.StatusRequestTimeout, "body_too_slow", func(base string, stop <-chan struct{}) *http.Request {
			req, _ := http.NewRequest(http.MethodPost, base+"/read", &servertest.StalledBody{Stop: stop})
			req.ContentLength = 2
			return req
		}},
		{"handler timeout", http.StatusServiceUnavailable, "handler_timeout", func(base string, _ <-chan struct{}) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, base+"/slow", nil)
			return req
		}},
		{"panic", http.StatusInternalServerError, "panic", func(base string, _ <-chan struct{}) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, base+"/panic", nil)
			return req
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			core, logs := observer.New(zapcore.InfoLevel)

			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {})
			mux.HandleFunc("POST /read", func(w http.ResponseWriter, r *http.Request) { _, _ = io.ReadAll(r.Body) })
			mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
			mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
			srv, addr := serve(t, testConfig(), mux, WithLogger(zap.New(core)), WithTracerProvider(tp))

			stop := make(chan struct{})
			tr := &http.Transport{ExpectContinueTimeout: safety}
			t.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Transport: tr, Timeout: safety}
			resp, err := client.Do(tc.request("http://"+addr, stop))
			if err != nil {
				close(stop)
				t.Fatal(err)
			}
			p := decodeProblem(t, resp, tc.status)
			_ = resp.Body.Close()
			close(stop)
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()
			_ = srv.Shutdown(ctx) // every request done: its span ended and its line written

			id := resp.Header.Get("X-Request-ID")
			if p.Code != tc.code || id == "" || p.RequestID != id {
				t.Errorf("answer code %q request_id %q, header X-Request-ID %q; want code %q and equal IDs", p.Code, p.RequestID, id, tc.code)
			}
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			lines := logs.FilterMessage("request").All()
			if len(lines) != 1 {
				t.Fatalf("%d access-log lines, want 1", len(lines))
			}
			m := lines[0].ContextMap()
			want := map[string]any{
				"status":      int64(tc.status),
				"answered_by": tc.code,
				"request_id":  id,
				"trace_id":    spans[0].SpanContext.TraceID().String(),
				"span_id":     spans[0].SpanContext.SpanID().String(),
			}
			for k, v := range want {
				if got := m[k]; fmt.Sprint(got) != fmt.Sprint(v) {
					t.Errorf("logged %s = %v, want %v", k, got, v)
				}
			}
		})
	}
}

// TestServerWithoutTracerStillLogsCallerTrace checks that with the
// default, no-op providers the access log carries the caller's trace.
func TestServerWithoutTracerStillLogsCallerTrace(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	srv, addr := serve(t, testConfig(), ok, WithLogger(zap.New(core)))
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := newClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	_ = srv.Shutdown(ctx)
	lines := logs.FilterMessage("request").All()
	if len(lines) != 1 {
		t.Fatalf("%d access-log lines, want 1", len(lines))
	}
	if m := lines[0].ContextMap(); fmt.Sprint(m["trace_id"]) != "4bf92f3577b34da6a3ce929d0e0e4736" || fmt.Sprint(m["request_id"]) != resp.Header.Get("X-Request-ID") {
		t.Errorf("logged %v, want the caller's trace and the answered request ID", m)
	}
}
