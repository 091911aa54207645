package middleware_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/harden-go/harden/internal/reqid"
	"github.com/harden-go/harden/middleware"
)

// roundTripFunc is a RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// retrying sends each request to base up to n times, as a retrying
// transport would.
func retrying(base http.RoundTripper, n int) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		var err error
		for range n {
			var resp *http.Response
			resp, err = base.RoundTrip(r)
			if err == nil {
				return resp, nil
			}
		}
		return nil, err
	})
}

func TestPropagateRequestIDSameAcrossAttempts(t *testing.T) {
	var seen []string
	failing := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.Header.Get("X-Request-ID"))
		return nil, errors.New("refused")
	})
	rt := middleware.PropagateRequestID(retrying(failing, 3))
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	req = req.WithContext(reqid.With(req.Context(), "req-9"))
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("want the base's error")
	}
	if len(seen) != 3 || seen[0] != "req-9" || seen[1] != "req-9" || seen[2] != "req-9" {
		t.Errorf("attempts sent IDs %q, want req-9 three times", seen)
	}
	if got := req.Header.Get("X-Request-ID"); got != "" {
		t.Errorf("caller's request was modified: X-Request-ID %q", got)
	}
}

func TestPropagateRequestIDLeavesOthersAlone(t *testing.T) {
	tests := []struct{ name, ctxID, header, want string }{
		{"no ID", "", "", ""},
		{"header already set", "req-1", "caller-chose", "caller-chose"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			rt := middleware.PropagateRequestID(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r.Header.Get("X-Request-ID")
				return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
			}))
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
			if tc.header != "" {
				req.Header.Set("X-Request-ID", tc.header)
			}
			if tc.ctxID != "" {
				req = req.WithContext(reqid.With(req.Context(), tc.ctxID))
			}
			if _, err := rt.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("sent %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClientAndServerShareIDs sends a request from inside one server's
// handler to another through PropagateRequestID and TraceTransport, and
// checks that the second server continues the request ID and the trace.
func TestClientAndServerShareIDs(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		tp, exp := newTracing(t)
		var gotID string
		var gotSC trace.SpanContext
		back := newServer(t, mode, middleware.Chain(middleware.RequestID(), middleware.Trace(middleware.WithTracerProvider(tp)))(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotID = middleware.RequestIDFrom(r.Context())
				gotSC = trace.SpanContextFromContext(r.Context())
			})))
		client := &http.Client{Transport: middleware.PropagateRequestID(middleware.TraceTransport(back.Client().Transport, middleware.WithTracerProvider(tp)))}
		var frontID string
		front := newServer(t, http1Mode, middleware.Chain(middleware.RequestID(), middleware.Trace(middleware.WithTracerProvider(tp)))(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				frontID = middleware.RequestIDFrom(r.Context())
				req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, back.URL, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			})))
		resp := get(t, front, http1Mode)
		_, _ = io.ReadAll(resp.Body)
		if gotID != frontID || gotID == "" {
			t.Errorf("back-end request ID %q, want the front's %q", gotID, frontID)
		}
		traces := map[trace.TraceID]int{}
		for _, s := range exp.GetSpans() {
			traces[s.SpanContext.TraceID()]++
		}
		if len(traces) != 1 || traces[gotSC.TraceID()] != 3 {
			t.Errorf("spans by trace %v, want 3 spans (server, client, server) in the back end's trace %s", traces, gotSC.TraceID())
		}
	})
}

// With providers that record nothing, TraceTransport still hands the
// caller's trace context on, as otelhttp's Transport would, on a copy of
// the request; with nothing to hand on, the request goes out as it is.
func TestTraceTransportIdleInjectsCallersTrace(t *testing.T) {
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	var sent *http.Request
	rt := middleware.TraceTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r
		return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
	}), middleware.WithTracerProvider(tracenoop.NewTracerProvider()), middleware.WithMeterProvider(metricnoop.NewMeterProvider()))

	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	req = req.WithContext(trace.ContextWithRemoteSpanContext(req.Context(), parent))
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if want := "00-" + parent.TraceID().String() + "-" + parent.SpanID().String() + "-01"; sent.Header.Get("Traceparent") != want {
		t.Errorf("sent traceparent %q, want %q", sent.Header.Get("Traceparent"), want)
	}
	if sent == req || req.Header.Get("Traceparent") != "" {
		t.Error("the caller's request was modified")
	}

	plain := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	if _, err := rt.RoundTrip(plain); err != nil {
		t.Fatal(err)
	}
	if sent != plain {
		t.Error("a request with no trace context was copied")
	}
}
