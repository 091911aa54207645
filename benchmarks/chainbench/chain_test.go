package chainbench

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/harden-go/harden/limits"
	"github.com/harden-go/harden/middleware"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// jsonLogger is a production-shaped logger that encodes every line and
// throws it away, so the cost of logging is measured without disk I/O.
func jsonLogger() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
}

// noop are the options of a chain whose telemetry providers do nothing,
// the state of an application that has not installed an OTel SDK.
var noop = []middleware.TraceOption{
	middleware.WithTracerProvider(tracenoop.NewTracerProvider()),
	middleware.WithMeterProvider(metricnoop.NewMeterProvider()),
}

// defaultChain is the Default chain with the telemetry options tel and
// logger (nil: none, as httpx's defaults run it).
func defaultChain(tel []middleware.TraceOption, logger *zap.Logger) func(http.Handler) http.Handler {
	var opts []middleware.DefaultOption
	if logger != nil {
		opts = append(opts, middleware.WithLogger(logger))
	}
	for _, o := range tel {
		opts = append(opts, o)
	}
	return middleware.Default(middleware.DefaultConfig{}, opts...)
}

// hello is the bare handler every variant ends in.
var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "hello")
})

// variant is one way of wrapping hello.
type variant struct {
	name string
	mw   func(http.Handler) http.Handler
}

func variants(b testing.TB) []variant {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	sdk := []middleware.TraceOption{middleware.WithTracerProvider(tp), middleware.WithMeterProvider(metricnoop.NewMeterProvider())}
	// prod is the tracer of the production server variant: 1% of new
	// traces sampled, so most requests take the unsampled path.
	prodTP := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.01))))
	b.Cleanup(func() { _ = prodTP.Shutdown(context.Background()) })
	prod := []middleware.TraceOption{middleware.WithTracerProvider(prodTP), middleware.WithMeterProvider(metricnoop.NewMeterProvider())}
	return []variant{
		{"raw", func(h http.Handler) http.Handler { return h }},
		{"RequestID", middleware.RequestID()},
		{"Trace/noop", middleware.Trace(noop...)},
		{"Trace/sdk", middleware.Trace(sdk...)},
		{"Trace/sdk1pct", middleware.Trace(prod...)},
		{"AccessLog", middleware.AccessLog(middleware.WithLogger(jsonLogger()))},
		{"Recover", middleware.Recover(middleware.WithLogger(jsonLogger()))},
		{"Concurrency", limits.Concurrency(limits.ConcurrencyConfig{})},
		{"Timeout", middleware.Timeout(time.Minute)},
		{"Body", limits.Body(1 << 20)},
		{"Progress", limits.Progress(limits.ProgressConfig{})},
		{"Default/nolog", defaultChain(noop, nil)},
		{"Default/noop", defaultChain(noop, jsonLogger())},
		{"Default/sdk", defaultChain(sdk, jsonLogger())},
		{"Default/production", defaultChain(prod, jsonLogger())},
	}
}

// discard is a ResponseWriter that keeps nothing, reused across
// iterations so that only the middleware's allocations are counted.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkMiddleware is the per-request cost of each middleware, and of
// the whole Default chain, in memory: ns/op and allocs/op above "raw" are
// the middleware's.
func BenchmarkMiddleware(b *testing.B) {
	for _, v := range variants(b) {
		b.Run(v.name, func(b *testing.B) {
			h := v.mw(hello)
			req := httptest.NewRequest(http.MethodGet, "/items/1", nil)
			req.RemoteAddr = "127.0.0.1:12345"
			w := &discard{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}

// serve starts h on a loopback listener and returns its URL and a
// client with a connection pool large enough for RunParallel.
func serve(b *testing.B, h http.Handler) (string, *http.Client) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		_ = srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String() + "/items/1", &http.Client{Transport: tr}
}

// get sends one GET and reads the answer to its end.
func get(b *testing.B, c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("status %d", resp.StatusCode)
	}
}

// BenchmarkLoopback is the throughput of a bare net/http server and of
// the same server behind the Default chain (no-op telemetry), over
// loopback HTTP/1.1 with keep-alive, each in requests per second.
func BenchmarkLoopback(b *testing.B) {
	for _, v := range []variant{
		{"raw", func(h http.Handler) http.Handler { return h }},
		{"Default/noop", defaultChain(noop, jsonLogger())},
	} {
		b.Run(v.name, func(b *testing.B) {
			url, c := serve(b, v.mw(hello))
			b.ReportAllocs()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					get(b, c, url)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// BenchmarkLoopbackRatio serves a bare server and the Default chain
// (no-op telemetry) side by side in one run, sends every client's
// requests to both in turn, and reports each one's throughput and the
// chain's as a fraction of the bare server's (chain/raw; 0.80 means the
// chain costs 20% of the throughput). Alternating makes both see the
// same machine load at the same time.
func BenchmarkLoopbackRatio(b *testing.B) {
	rawURL, rawC := serve(b, hello)
	chainURL, chainC := serve(b, defaultChain(noop, jsonLogger())(hello))
	var rawNS, chainNS atomic.Int64
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t0 := time.Now()
			get(b, rawC, rawURL)
			t1 := time.Now()
			get(b, chainC, chainURL)
			t2 := time.Now()
			rawNS.Add(int64(t1.Sub(t0)))
			chainNS.Add(int64(t2.Sub(t1)))
			n.Add(1)
		}
	})
	if rawNS.Load() == 0 || chainNS.Load() == 0 {
		return
	}
	// At the same concurrency, throughput is the inverse of the mean time
	// a request takes; per client goroutine, that is requests over the
	// time spent on them.
	b.ReportMetric(float64(rawNS.Load())/float64(chainNS.Load()), "chain/raw")
	b.ReportMetric(float64(n.Load())/time.Duration(rawNS.Load()).Seconds(), "raw-req/s/client")
	b.ReportMetric(float64(n.Load())/time.Duration(chainNS.Load()).Seconds(), "chain-req/s/client")
}

// TestVariantsAnswer checks that every benchmarked variant answers the
// request as the bare handler does, so that no benchmark measures a
// refusal.
func TestVariantsAnswer(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			v.mw(hello).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/items/1", nil))
			if rec.Code != http.StatusOK || rec.Body.String() != "hello" {
				t.Errorf("answered %d %q, want 200 hello", rec.Code, rec.Body.String())
			}
		})
	}
}
