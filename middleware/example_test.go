package middleware_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"

	"github.com/harden-go/harden/middleware"
)

// A handler that waits on its context is answered 503 problem+json when
// the timeout passes, instead of leaving the client waiting.
func ExampleTimeout() {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // stands for a call that honours its context
	})
	ts := httptest.NewServer(middleware.Timeout(50 * time.Millisecond)(slow))
	defer ts.Close()

	resp, err := ts.Client().Get(ts.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var p struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status)
	fmt.Println(resp.Header.Get("Content-Type"))
	fmt.Println(p.Code)
	// Output:
	// 503 Service Unavailable
	// application/problem+json
	// handler_timeout
}

// The whole chain in front of a mux: the answer carries the request ID,
// and the access log line carries it too, with the route the mux matched
// and who answered.
func ExampleDefault() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		middleware.Logger(r.Context()).Info("looking up", zap.String("id", r.PathValue("id")))
		fmt.Fprintln(w, "item", r.PathValue("id"))
	})
	logger := exampleLogger()
	h := middleware.Default(middleware.DefaultConfig{}, middleware.WithLogger(logger))(mux)

	req := httptest.NewRequest(http.MethodGet, "/items/42?access_token=secret", nil)
	req.Header.Set("X-Request-ID", "req-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Print(rec.Body.String())
	fmt.Println(rec.Header().Get("X-Request-ID"))
	// Output:
	// {"level":"info","msg":"looking up","request_id":"req-1","id":"42"}
	// {"level":"info","msg":"request","method":"GET","route":"GET /items/{id}","path":"/items/42","query":"access_token=REDACTED","status":200,"answered_by":"handler","request_id":"req-1"}
	// item 42
	// req-1
}

// A request ID that could forge a log line is replaced by a fresh one.
func ExampleRequestID() {
	h := middleware.RequestID()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, id := range []string{"0190a6b2-7c3e-7d8f", "x\r\nlevel=error"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header["X-Request-Id"] = []string{id}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-ID")
		fmt.Println(got == id, len(got))
	}
	// Output:
	// true 18
	// false 32
}

// A panicking handler is answered 500 problem+json with code "panic".
func ExampleRecover() {
	h := middleware.RequestID()(middleware.Recover()(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("bug")
	})))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-ID", "req-2")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var p struct {
		Code      string `json:"code"`
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), p.Code, p.RequestID)
	// Output: 500 application/problem+json panic req-2
}

// exampleLogger writes the fields of the examples that do not change
// from run to run as JSON lines on standard output.
func exampleLogger() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{MessageKey: "msg", LevelKey: "level", EncodeLevel: zapcore.LowercaseLevelEncoder})
	return zap.New(zapcore.NewCore(stableFields{enc}, zapcore.AddSync(os.Stdout), zapcore.InfoLevel))
}

// stableFields drops the fields that differ between runs (duration,
// remote address, ...) so that examples can show their output.
type stableFields struct{ zapcore.Encoder }

func (e stableFields) Clone() zapcore.Encoder { return stableFields{e.Encoder.Clone()} }

func (e stableFields) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	keep := fields[:0:0]
	for _, f := range fields {
		switch f.Key {
		case "duration", "remote_addr", "user_agent", "bytes_in", "bytes_out", "proto":
			continue
		}
		keep = append(keep, f)
	}
	return e.Encoder.EncodeEntry(ent, keep)
}

// A client inside a handler sends the request's ID on to the next
// service, so both services log the same ID.
func ExamplePropagateRequestID() {
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("X-Request-ID"))
	}))
	defer next.Close()
	client := &http.Client{Transport: middleware.PropagateRequestID(middleware.TraceTransport(next.Client().Transport))}

	front := middleware.RequestID()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, next.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-ID", "req-3")
	rec := httptest.NewRecorder()
	front.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: req-3
}
