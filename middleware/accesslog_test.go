package middleware_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden/limits"
	"github.com/harden-go/harden/middleware"
)

func TestAccessLogLine(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		tp, exp := newTracing(t)
		logger, logs := newLog()
		mux := http.NewServeMux()
		mux.HandleFunc("POST /items/{id}", func(w http.ResponseWriter, r *http.Request) {
			n, _ := io.Copy(io.Discard, r.Body)
			w.Header().Set("Set-Cookie", "session=server-secret")
			w.WriteHeader(http.StatusCreated)
			_, _ = fmt.Fprintf(w, "read %d", n)
		})
		h := middleware.Chain(
			middleware.RequestID(),
			middleware.Trace(middleware.WithTracerProvider(tp)),
			middleware.AccessLog(middleware.WithLogger(logger), middleware.WithSensitiveQuery("session")),
		)(mux)
		ts := newServer(t, mode, h)
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/items/42?page=2&access_token=tok-secret&Session=sess-secret", strings.NewReader("0123456789"))
		req.Header.Set("Authorization", "Bearer auth-secret")
		req.Header.Set("Cookie", "c=cookie-secret")
		req.Header.Set("User-Agent", "probe/1.0")
		resp := do(t, ts, mode, req)
		body, _ := io.ReadAll(resp.Body)

		e := only(t, logs, "request")
		m := e.ContextMap()
		want := map[string]any{
			"method":      "POST",
			"route":       "POST /items/{id}",
			"path":        "/items/42",
			"query":       "page=2&access_token=REDACTED&Session=REDACTED",
			"status":      int64(201),
			"bytes_in":    int64(10),
			"bytes_out":   int64(len(body)),
			"user_agent":  "probe/1.0",
			"answered_by": middleware.AnsweredByHandler,
			"request_id":  resp.Header.Get("X-Request-ID"),
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %#v, want %#v", k, m[k], v)
			}
		}
		if d, ok := m["duration"].(time.Duration); !ok || d <= 0 {
			t.Errorf("duration = %v", m["duration"])
		}
		if ra, _ := m["remote_addr"].(string); !strings.HasPrefix(ra, "127.0.0.1:") {
			t.Errorf("remote_addr = %q", ra)
		}
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%d spans, want 1", len(spans))
		}
		// Trace and AccessLog both count the body the handler read,
		// though the handler receives one request.
		if spanIn := attr(spans[0], "http.request.body.size").AsInt64(); spanIn != 10 {
			t.Errorf("span's http.request.body.size = %d, want 10", spanIn)
		}
		if got, want := field(e, "trace_id"), spans[0].SpanContext.TraceID().String(); got != want {
			t.Errorf("trace_id %q, want the span's %q", got, want)
		}
		if got, want := field(e, "span_id"), spans[0].SpanContext.SpanID().String(); got != want {
			t.Errorf("span_id %q, want the span's %q", got, want)
		}
		line := fmt.Sprint(m)
		for _, secret := range []string{"auth-secret", "cookie-secret", "server-secret", "tok-secret", "sess-secret"} {
			if strings.Contains(line, secret) {
				t.Errorf("line logs %q: %s", secret, line)
			}
		}
	})
}

// Credentials that clouds and OAuth put in query strings are redacted by
// the default list, without any option: presigned URLs of S3 (SigV4),
// Google Cloud Storage (V4 signing) and Azure (SAS), and OAuth client
// assertions and token-exchange tokens.
func TestAccessLogRedactsQueryCredentialsByDefault(t *testing.T) {
	tests := []struct{ name, query string }{
		{"S3 SigV4", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDsecret%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=stssecret&X-Amz-Signature=sigsecret"},
		{"GCS V4", "X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=svcsecret%40proj.iam.gserviceaccount.com%2F20260101%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Signature=sigsecret"},
		{"GCS V2", "GoogleAccessId=svc%40proj&Expires=1&Signature=sigsecret"},
		{"Azure SAS", "sv=2022-11-02&sp=r&sig=sigsecret"},
		{"OAuth client assertion", "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=jwtsecret"},
		{"OAuth JWT grant", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=jwtsecret"},
		{"OAuth token exchange", "subject_token=tokensecret&actor_token=actorsecret"},
		{"OAuth PKCE", "code=codesecret&code_verifier=verifiersecret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, mode mode) {
				logger, logs := newLog()
				ts := newServer(t, mode, middleware.AccessLog(middleware.WithLogger(logger))(http.NotFoundHandler()))
				req, err := http.NewRequest(http.MethodGet, ts.URL+"/bucket/object?"+tc.query, nil)
				if err != nil {
					t.Fatal(err)
				}
				do(t, ts, mode, req)
				q := field(only(t, logs, "request"), "query")
				if q == "" || strings.Contains(q, "secret") {
					t.Errorf("query logged as %q, want every credential REDACTED", q)
				}
			})
		})
	}
}

func TestAccessLogAnsweredBy(t *testing.T) {
	tests := []struct {
		name   string
		h      http.Handler
		body   io.Reader
		status int
		code   string
	}{
		{"handler", http.NotFoundHandler(), nil, http.StatusNotFound, middleware.AnsweredByHandler},
		{"body too large", limits.Body(4)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
		})), strings.NewReader("0123456789"), http.StatusRequestEntityTooLarge, limits.CodeBodyTooLarge},
		{"timeout", middleware.Timeout(shortTimeout)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})), nil, http.StatusServiceUnavailable, middleware.CodeHandlerTimeout},
		{"panic", middleware.Recover()(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") })), nil, http.StatusInternalServerError, middleware.CodePanic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := newLog()
			rec := httptest.NewRecorder()
			middleware.AccessLog(middleware.WithLogger(logger))(tc.h).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", tc.body))
			e := only(t, logs, "request")
			if got := e.ContextMap()["status"]; got != int64(tc.status) {
				t.Errorf("status %v, want %d", got, tc.status)
			}
			if got := field(e, "answered_by"); got != tc.code {
				t.Errorf("answered_by %q, want %q", got, tc.code)
			}
		})
	}
}

func TestAccessLogSamplingKeepsFailuresAndRefusals(t *testing.T) {
	logger, logs := newLog()
	status := http.StatusOK
	h := middleware.Chain(
		middleware.AccessLog(middleware.WithLogger(logger), middleware.WithSampling(3)),
		middleware.Recover(),
		limits.Body(1),
	)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("x")
		}
		_, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
	}))
	send := func(path string, body string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, path, rd))
	}
	for range 6 {
		send("/", "")
	}
	if n := logs.Len(); n != 2 {
		t.Fatalf("%d lines for 6 ordinary requests sampled 1 in 3, want 2", n)
	}
	status = http.StatusBadGateway
	for range 3 {
		send("/", "")
	}
	status = http.StatusOK
	for range 3 {
		send("/", "too large")
	}
	for range 3 {
		send("/panic", "")
	}
	if n := logs.Len(); n != 2+9 {
		t.Errorf("%d lines, want every 5xx and every refusal logged (11)", n)
	}
}

func TestAccessLogAbortedHandler(t *testing.T) {
	logger, logs := newLog()
	h := middleware.AccessLog(middleware.WithLogger(logger))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want the panic to go on", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	if e := only(t, logs, "request"); e.ContextMap()["aborted"] != true {
		t.Errorf("aborted = %v, want true", e.ContextMap()["aborted"])
	}
}

func TestAccessLogIDsWithoutSDK(t *testing.T) {
	logger, logs := newLog()
	h := middleware.Chain(middleware.RequestID(), middleware.Trace(), middleware.AccessLog(middleware.WithLogger(logger)))(http.NotFoundHandler())
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Traceparent", traceparent)
	req.Header.Set("X-Request-ID", "req-7")
	h.ServeHTTP(httptest.NewRecorder(), req)
	e := only(t, logs, "request")
	got := [3]string{field(e, "request_id"), field(e, "trace_id"), field(e, "span_id")}
	if want := [3]string{"req-7", incomingTrace, incomingParent}; got != want {
		t.Errorf("IDs %v, want %v", got, want)
	}
}
