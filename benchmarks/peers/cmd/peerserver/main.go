// Command peerserver serves GET /hello behind the peer stacks `harden
// bench` compares harden with: chi's middleware, otelhttp alone, and chi
// with otelhttp and a zap access log. It lives in the peers module so
// that none of them enters harden's go.mod. Run it with -list for the
// variants. See package benchmarks/loadbench.
package main

import (
	"io"
	"log"
	"net/http"
	"time"

	chimw "github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/harden-go/harden/benchmarks/loadbench"
)

func main() { loadbench.ServerMain(variants) }

var variants = map[string]loadbench.Variant{
	"chi": loadbench.Middleware("chi RequestID -> Logger (text to io.Discard) -> Recoverer", func() func(http.Handler) http.Handler {
		logger := chimw.RequestLogger(&chimw.DefaultLogFormatter{Logger: log.New(io.Discard, "", log.LstdFlags), NoColor: true})
		return func(h http.Handler) http.Handler { return chimw.RequestID(logger(chimw.Recoverer(h))) }
	}),
	"otelhttp": loadbench.Middleware("otelhttp.NewHandler alone, no-op tracer and meter providers", func() func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler {
			return otelhttp.NewHandler(h, "server",
				otelhttp.WithTracerProvider(tracenoop.NewTracerProvider()),
				otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))
		}
	}),
	"peers": loadbench.Middleware("chi RequestID -> Recoverer -> otelhttp (OTel SDK at 1% sampling, no-op meter) -> zap JSON access log", func() func(http.Handler) http.Handler {
		logger, tp := loadbench.Production()
		return func(h http.Handler) http.Handler {
			h = accessLog(logger)(h)
			h = otelhttp.NewHandler(h, "server",
				otelhttp.WithTracerProvider(tp),
				otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))
			return chimw.RequestID(chimw.Recoverer(h))
		}
	}),
}

// accessLog is the zap access-log middleware a team writes beside chi:
// one info line per request with the fields harden's access log has,
// the request, trace and span IDs among them.
func accessLog(logger *zap.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := chimw.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			sc := trace.SpanContextFromContext(r.Context())
			logger.Info("request",
				zap.String("method", r.Method),
				zap.String("path", r.URL.Path),
				zap.String("proto", r.Proto),
				zap.Int("status", ww.Status()),
				zap.Int("bytes_out", ww.BytesWritten()),
				zap.Duration("duration", time.Since(start)),
				zap.String("remote_addr", r.RemoteAddr),
				zap.String("user_agent", r.UserAgent()),
				zap.String("request_id", chimw.GetReqID(r.Context())),
				zap.Stringer("trace_id", sc.TraceID()),
				zap.Stringer("span_id", sc.SpanID()),
			)
		})
	}
}
