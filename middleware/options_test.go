package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/harden-go/harden/middleware"
)

// TestOptionsOnlyFitTheirConstructor proves that an option a constructor
// would ignore does not compile there: the option values only implement
// the interfaces of the constructors that use them.
func TestOptionsOnlyFitTheirConstructor(t *testing.T) {
	type fits struct{ requestID, trace, accessLog, recover, def bool }
	guard := func(h http.Handler) http.Handler { return h }
	tests := []struct {
		name string
		opt  any
		want fits
	}{
		{"WithLogger", middleware.WithLogger(nil), fits{accessLog: true, recover: true, def: true}},
		{"WithRequestIDHeader", middleware.WithRequestIDHeader("X-Id"), fits{requestID: true, def: true}},
		{"WithTracerProvider", middleware.WithTracerProvider(nil), fits{trace: true, def: true}},
		{"WithMeterProvider", middleware.WithMeterProvider(nil), fits{trace: true, def: true}},
		{"WithPropagators", middleware.WithPropagators(nil), fits{trace: true, def: true}},
		{"WithSensitiveQuery", middleware.WithSensitiveQuery("sig"), fits{accessLog: true, def: true}},
		{"WithSampling", middleware.WithSampling(10), fits{accessLog: true, def: true}},
		{"WithGuard", middleware.WithGuard(guard), fits{def: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got fits
			_, got.requestID = tc.opt.(middleware.RequestIDOption) // RequestID, PropagateRequestID
			_, got.trace = tc.opt.(middleware.TraceOption)         // Trace, TraceTransport
			_, got.accessLog = tc.opt.(middleware.AccessLogOption)
			_, got.recover = tc.opt.(middleware.LogOption)
			_, got.def = tc.opt.(middleware.DefaultOption)
			if got != tc.want {
				t.Errorf("fits %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestDefaultHandsEachLayerItsOptions checks over a real socket that
// every option given to Default reaches the layer it configures.
func TestDefaultHandsEachLayerItsOptions(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		tp, exp := newTracing(t)
		logger, logs := newLog()
		guard := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Guarded", "yes")
				next.ServeHTTP(w, r)
			})
		}
		ts := newServer(t, mode, middleware.Default(middleware.DefaultConfig{},
			middleware.WithLogger(logger),
			middleware.WithRequestIDHeader("X-Correlation-ID"),
			middleware.WithTracerProvider(tp),
			middleware.WithSensitiveQuery("session"),
			middleware.WithSampling(1000),
			middleware.WithGuard(guard),
		)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))

		for range 2 {
			req, err := http.NewRequest(http.MethodGet, ts.URL+"/?session=s3cret", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Correlation-ID", "corr-1")
			resp := do(t, ts, mode, req)
			if got := resp.Header.Get("X-Correlation-ID"); got != "corr-1" {
				t.Errorf("X-Correlation-ID answered %q, want corr-1 (WithRequestIDHeader)", got)
			}
			if got := resp.Header.Get("X-Guarded"); got != "yes" {
				t.Errorf("X-Guarded answered %q, want yes (WithGuard)", got)
			}
		}
		if n := len(exp.GetSpans()); n != 2 {
			t.Errorf("%d spans, want 2 (WithTracerProvider)", n)
		}
		lines := logs.FilterMessage("request").All()
		if len(lines) != 1 {
			t.Fatalf("%d access-log lines for 2 requests, want 1 (WithLogger, WithSampling)", len(lines))
		}
		if got := lines[0].ContextMap()["query"]; got != "session=REDACTED" {
			t.Errorf("logged query %q, want session=REDACTED (WithSensitiveQuery)", got)
		}
	})
}

// TestPropagateRequestIDHeaderOption checks that PropagateRequestID sends
// the ID in the header WithRequestIDHeader names, over a real socket.
func TestPropagateRequestIDHeaderOption(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		got := make(chan http.Header, 1)
		ts := newServer(t, mode, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() }))
		client := &http.Client{Transport: middleware.PropagateRequestID(ts.Client().Transport, middleware.WithRequestIDHeader("X-Correlation-ID"))}
		front := middleware.RequestID(middleware.WithRequestIDHeader("X-Correlation-ID"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, ts.URL, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}))
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Correlation-ID", "corr-2")
		front.ServeHTTP(httptest.NewRecorder(), req)
		h := receive(t, got, "request at the next service")
		if h.Get("X-Correlation-ID") != "corr-2" || h.Get("X-Request-ID") != "" {
			t.Errorf("next service got X-Correlation-ID %q, X-Request-ID %q; want corr-2 and none", h.Get("X-Correlation-ID"), h.Get("X-Request-ID"))
		}
	})
}
