package middleware_test

import (
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/harden-go/harden/internal/servertest"
	"github.com/harden-go/harden/middleware"
)

// A multipart form the handler parses has its temporary files removed by
// net/http however many layers of the chain hand on a copy of the
// request.
func TestDefaultKeepsMultipartCleanup(t *testing.T) {
	servertest.CheckMultipartCleanup(t, middleware.Default(middleware.DefaultConfig{}))
}

// The same with an access log and a tracer that records, whose layers
// count the body the handler reads.
func TestDefaultWithTelemetryKeepsMultipartCleanup(t *testing.T) {
	tp, _ := newTracing(t)
	logger, _ := newLog()
	servertest.CheckMultipartCleanup(t, middleware.Default(middleware.DefaultConfig{},
		middleware.WithLogger(logger), middleware.WithTracerProvider(tp), middleware.WithMeterProvider(metricnoop.NewMeterProvider())))
}
