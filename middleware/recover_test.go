package middleware_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/middleware"
)

func TestRecoverAnswersProblemAndLogsOnce(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		logger, logs := newLog()
		boom := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=86400")
			w.Header().Set("Set-Cookie", "session=1")
			panic("boom")
		})
		ts := newServer(t, mode, middleware.RequestID()(middleware.Recover(middleware.WithLogger(logger))(boom)))
		resp := get(t, ts, mode)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("status %d, want 500", resp.StatusCode)
		}
		for _, k := range []string{"Cache-Control", "Set-Cookie"} {
			if v := resp.Header.Get(k); v != "" {
				t.Errorf("500 carries the handler's %s: %q", k, v)
			}
		}
		p := readProblem(t, resp)
		id := resp.Header.Get("X-Request-ID")
		if p.Code != middleware.CodePanic || p.RequestID != id || id == "" {
			t.Errorf("problem code %q request_id %q, want %q and %q", p.Code, p.RequestID, middleware.CodePanic, id)
		}
		e := only(t, logs, "handler panicked")
		if got := field(e, "request_id"); got != id {
			t.Errorf("logged request_id %q, want %q", got, id)
		}
		if got := field(e, "panic"); got != "boom" {
			t.Errorf("logged panic %q, want boom", got)
		}
		if stack := e.ContextMap()["stack"]; !strings.Contains(stack.(string), "recover_test.go") {
			t.Errorf("logged stack does not reach the handler:\n%s", stack)
		}
	})
}

// A handler that panics after it committed to an answer leaves the
// client an aborted response, as net/http alone would (unexpected EOF on
// HTTP/1.1, a reset stream on HTTP/2): a clean end would hand the client,
// and any cache on the way, a truncated body as if it were whole.
func TestRecoverAbortsAfterHandlerWrote(t *testing.T) {
	tests := []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"status", func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }},
		{"body", func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"items":[1,2,`)) }},
		{"body flushed", func(w http.ResponseWriter) {
			_, _ = w.Write([]byte(`{"items":[1,2,`))
			_ = http.NewResponseController(w).Flush()
		}},
		{"flush", func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, mode mode) {
				logger, logs := newLog()
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					tc.write(w)
					panic("late")
				})
				ts := newServer(t, mode, middleware.Recover(middleware.WithLogger(logger))(h))
				body, err := fetch(t, ts)
				if err == nil {
					t.Errorf("client read a complete response %q, want an aborted one", body)
				}
				if strings.Contains(body, middleware.CodePanic) {
					t.Errorf("body %q has a problem answer appended", body)
				}
				e := only(t, logs, "handler panicked")
				if m := e.ContextMap(); m["answered"] != false || m["aborted"] != true {
					t.Errorf("answered = %v, aborted = %v; want false, true", m["answered"], m["aborted"])
				}
			})
		})
	}
}

// The first thing a user tries: the default chain, the default client,
// a handler that streams part of a JSON document and fails.
func TestDefaultAbortsPartialJSON(t *testing.T) {
	logger, logs := newLog()
	h := middleware.Default(middleware.DefaultConfig{}, middleware.WithLogger(logger))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[1,2,`)
		http.NewResponseController(w).Flush()
		panic("database went away")
	}))
	ts := newServer(t, http1Mode, h)
	resp, err := http.DefaultClient.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read %q, %v; want io.ErrUnexpectedEOF", body, err)
	}
	only(t, logs, "handler panicked")
	e := only(t, logs, "request")
	if m := e.ContextMap(); m["status"] != int64(http.StatusOK) || m["aborted"] != true || e.Level != zapcore.ErrorLevel {
		t.Errorf("access log status = %v, aborted = %v at %v; want 200, true at error", m["status"], m["aborted"], e.Level)
	}
}

func TestRecoverRepanicsErrAbortHandler(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"value", http.ErrAbortHandler},
		{"wrapped", errors.Join(errors.New("backend gone"), http.ErrAbortHandler)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := newLog()
			h := middleware.Recover(middleware.WithLogger(logger))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(tc.v) }))
			rec := httptest.NewRecorder()
			got := func() (v any) {
				defer func() { v = recover() }()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
				return nil
			}()
			if got != tc.v {
				t.Errorf("recovered %v, want %v re-panicked", got, tc.v)
			}
			if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
				t.Errorf("wrote %d %q, want nothing", rec.Code, rec.Body.String())
			}
			if n := logs.Len(); n != 0 {
				t.Errorf("%d log lines, want none", n)
			}
		})
	}
}

func TestRecoverAfterHijackWritesNothing(t *testing.T) {
	logger, logs := newLog()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
		_ = c.Close()
		panic("after hijack")
	})
	// The client has its answer before the handler panics: wait for
	// Recover to return before reading the log.
	returned := make(chan struct{})
	recovered := middleware.Recover(middleware.WithLogger(logger))(h)
	ts := newServer(t, http1Mode, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(returned)
		recovered.ServeHTTP(w, r)
	}))
	resp := get(t, ts, http1Mode)
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("status %d, want the hijacker's 204", resp.StatusCode)
	}
	receive(t, returned, "Recover's return")
	if e := only(t, logs, "handler panicked"); e.ContextMap()["answered"] != false {
		t.Errorf("answered = %v, want false", e.ContextMap()["answered"])
	}
}

// TestRecoverAfterEarlyHints checks that an informational answer does not
// count as the handler's answer: the panic after it is still answered.
func TestRecoverAfterEarlyHints(t *testing.T) {
	run(t, func(t *testing.T, mode mode) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload; as=style")
			w.WriteHeader(http.StatusEarlyHints)
			panic("after hints")
		})
		ts := newServer(t, mode, middleware.Recover()(h))
		resp := get(t, ts, mode)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("status %d, want 500", resp.StatusCode)
		}
		if p := readProblem(t, resp); p.Code != middleware.CodePanic {
			t.Errorf("code %q, want %q", p.Code, middleware.CodePanic)
		}
	})
}

// A panic after the handler timeout answered leaves the timeout's 503
// whole: it is complete on the wire, so the response is not aborted.
// A panic in a handler that streamed under the timeout aborts as
// without it. Either way the access log has the status sent.
func TestRecoverUnderTimeout(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  int64
		by      string
		aborted bool
	}{
		{"after the timeout answered", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			panic("woke up late")
		}, http.StatusServiceUnavailable, middleware.CodeHandlerTimeout, false},
		{"after the handler streamed", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"items":[1,2,`)
			http.NewResponseController(w).Flush()
			panic("database went away")
		}, http.StatusOK, middleware.AnsweredByHandler, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(t *testing.T, mode mode) {
				logger, logs := newLog()
				h := middleware.Default(middleware.DefaultConfig{HandlerTimeout: harden.Duration(shortTimeout)}, middleware.WithLogger(logger))(tc.handler)
				ts := newServer(t, mode, h)
				body, err := fetch(t, ts)
				if aborted := err != nil; aborted != tc.aborted {
					t.Errorf("client read %q, %v; want aborted = %v", body, err, tc.aborted)
				}
				ts.Close() // waits for the handler, which outlives the 503
				if e := only(t, logs, "handler panicked"); e.ContextMap()["aborted"] != tc.aborted {
					t.Errorf("panic line aborted = %v, want %v", e.ContextMap()["aborted"], tc.aborted)
				}
				m := only(t, logs, "request").ContextMap()
				if m["status"] != tc.status || m["answered_by"] != tc.by {
					t.Errorf("access log status %v answered_by %v, want %d %s", m["status"], m["answered_by"], tc.status, tc.by)
				}
				if aborted, _ := m["aborted"].(bool); aborted != tc.aborted {
					t.Errorf("access log aborted = %v, want %v", m["aborted"], tc.aborted)
				}
			})
		})
	}
}

// fetch GETs ts's root with ts's client and reads the whole body. The
// error is the request's or the body's.
func fetch(t *testing.T, ts *httptest.Server) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
