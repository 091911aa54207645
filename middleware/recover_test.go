package middleware_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

func TestRecoverWritesNothingAfterHandlerWrote(t *testing.T) {
	tests := []struct {
		name   string
		write  func(w http.ResponseWriter)
		status int
	}{
		{"status", func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }, http.StatusAccepted},
		{"body", func(w http.ResponseWriter) { _, _ = w.Write([]byte("partial")) }, http.StatusOK},
		{"flush", func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }, http.StatusOK},
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
				req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
				resp, err := ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Errorf("status %d, want the handler's %d", resp.StatusCode, tc.status)
				}
				body, _ := io.ReadAll(resp.Body)
				if strings.Contains(string(body), middleware.CodePanic) {
					t.Errorf("body %q has a problem answer appended", body)
				}
				if e := only(t, logs, "handler panicked"); e.ContextMap()["answered"] != false {
					t.Errorf("answered = %v, want false", e.ContextMap()["answered"])
				}
			})
		})
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
