package middleware_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// newTracing returns a real SDK tracer provider that records every span,
// synchronously, in an in-memory exporter.
func newTracing(t *testing.T) (*trace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := trace.NewTracerProvider(trace.WithSyncer(exp), trace.WithSampler(trace.AlwaysSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// newLog returns a logger whose lines at info level and above are kept
// in the returned observer.
func newLog() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.InfoLevel)
	return zap.New(core), logs
}

// problemBody is the JSON body of a problem answer.
type problemBody struct {
	Status    int    `json:"status"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
}

// readProblem decodes a problem answer, checking its content type.
func readProblem(t *testing.T, resp *http.Response) problemBody {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, Content-Type %q, want a problem answer; body %q", resp.StatusCode, ct, b)
	}
	var p problemBody
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	return p
}

// only returns the single entry with message msg, failing the test when
// there is not exactly one.
func only(t *testing.T, logs *observer.ObservedLogs, msg string) observer.LoggedEntry {
	t.Helper()
	got := logs.FilterMessage(msg).All()
	if len(got) != 1 {
		t.Fatalf("%d log lines %q, want 1: %v", len(got), msg, got)
	}
	return got[0]
}

// field returns the value of a string field of e, or "" when absent.
func field(e observer.LoggedEntry, key string) string {
	v, ok := e.ContextMap()[key]
	if !ok {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case interface{ String() string }:
		return v.String()
	}
	return ""
}

// attr returns the value of the attribute key of span s, an empty value
// when s has none.
func attr(s tracetest.SpanStub, key attribute.Key) attribute.Value {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}
