package peers

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	chimw "github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/harden-go/harden/middleware"
)

// chainHello is the handler both request chains end in.
var chainHello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "hello")
})

// chainDiscard is a ResponseWriter that keeps nothing, reused across
// iterations so that only the chains' allocations are counted.
type chainDiscard struct{ h http.Header }

func (d *chainDiscard) Header() http.Header         { return d.h }
func (d *chainDiscard) Write(p []byte) (int, error) { return len(p), nil }
func (d *chainDiscard) WriteHeader(int)             {}

// chiChain is what a chi user stacks for the same job as harden's
// Default chain without its guards: chi's RequestID, Recoverer and Logger
// (writing its text lines to io.Discard) around otelhttp, whose providers
// do nothing.
func chiChain(h http.Handler) http.Handler {
	logger := chimw.RequestLogger(&chimw.DefaultLogFormatter{Logger: log.New(io.Discard, "", log.LstdFlags), NoColor: true})
	h = otelhttp.NewHandler(h, "server",
		otelhttp.WithTracerProvider(tracenoop.NewTracerProvider()),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))
	return chimw.RequestID(logger(chimw.Recoverer(h)))
}

// hardenNoop are the telemetry options of harden's chain: no-op
// providers.
var hardenNoop = []middleware.TraceOption{
	middleware.WithTracerProvider(tracenoop.NewTracerProvider()),
	middleware.WithMeterProvider(metricnoop.NewMeterProvider()),
}

// hardenDefault is harden's Default chain with no-op telemetry and a
// JSON logger that discards its lines.
func hardenDefault() func(http.Handler) http.Handler {
	opts := []middleware.DefaultOption{middleware.WithLogger(discardJSON())}
	for _, o := range hardenNoop {
		opts = append(opts, o)
	}
	return middleware.Default(middleware.DefaultConfig{}, opts...)
}

// discardJSON is a zap logger that encodes every line as JSON and drops
// it, the access log's cost without I/O.
func discardJSON() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
}

// BenchmarkChain compares the per-request cost of chi's stacked
// observability middleware with harden's: the same four concerns (request
// ID, trace, access log, recovery), and then harden's whole Default chain,
// which adds the handler timeout and the body guards.
func BenchmarkChain(b *testing.B) {
	variants := []struct {
		name string
		h    http.Handler
	}{
		{"raw", chainHello},
		{"harden/RequestID+Trace+AccessLog+Recover", middleware.Chain(
			middleware.RequestID(),
			middleware.Trace(hardenNoop...),
			middleware.AccessLog(middleware.WithLogger(discardJSON())),
			middleware.Recover(middleware.WithLogger(discardJSON())),
		)(chainHello)},
		{"harden/Default", hardenDefault()(chainHello)},
		{"chi/RequestID+Logger+Recoverer+otelhttp", chiChain(chainHello)},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/items/1", nil)
			w := &chainDiscard{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				v.h.ServeHTTP(w, req)
			}
		})
	}
}

// TestChainsAnswer checks that both chains answer as the bare handler
// does, so that the benchmark compares like with like.
func TestChainsAnswer(t *testing.T) {
	for name, h := range map[string]http.Handler{
		"chi":    chiChain(chainHello),
		"harden": hardenDefault()(chainHello),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/items/1", nil))
		if rec.Code != http.StatusOK || rec.Body.String() != "hello" {
			t.Errorf("%s answered %d %q", name, rec.Code, rec.Body.String())
		}
	}
}
