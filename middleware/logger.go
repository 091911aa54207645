package middleware

import (
	"context"
	"encoding/hex"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/harden-go/harden/internal/reqid"
)

// Field names of the IDs that [Logger], [AccessLog] and [Recover] add to
// every line, so that a line can be joined with its trace and with the
// problem answer the client received.
const (
	FieldRequestID = "request_id"
	FieldTraceID   = "trace_id"
	FieldSpanID    = "span_id"
)

// scopedLogger is a logger with the IDs of one span.
type scopedLogger struct {
	id string
	sc trace.SpanContext
	l  *zap.Logger
}

// Logger returns the logger of the request ctx belongs to: the logger
// given to [AccessLog] (or [Default]) by [WithLogger], with the fields
// request_id, trace_id and span_id of ctx, the same values as the
// request's access-log line, its span and its problem answers. A handler that starts a span of its
// own and passes that span's context gets that span's ID. Goroutines that
// the handler starts keep the IDs as long as they are given the context.
//
// Outside such a chain, Logger returns a no-op logger: a handler is not
// meant to log to a logger nobody configured. IDs that ctx lacks are
// omitted. The logger is built at the first call for a span and reused
// after; Logger is safe for concurrent use.
func Logger(ctx context.Context) *zap.Logger {
	st := stateFrom(ctx)
	if st == nil || st.logger == nil {
		return zap.NewNop()
	}
	id := reqid.From(ctx)
	sc := trace.SpanContextFromContext(ctx)
	if c := st.scoped.Load(); c != nil && c.id == id && c.sc.Equal(sc) {
		return c.l
	}
	l := st.logger.With(idFields(id, sc)...)
	st.scoped.Store(&scopedLogger{id: id, sc: sc, l: l})
	return l
}

// idFields returns the ID fields for a request ID and span context, the
// trace and span IDs only when sc is valid.
func idFields(id string, sc trace.SpanContext) []zap.Field {
	f := make([]zap.Field, 0, 3)
	return appendIDs(f, id, sc)
}

func appendIDs(f []zap.Field, id string, sc trace.SpanContext) []zap.Field {
	if id != "" {
		f = append(f, zap.String(FieldRequestID, id))
	}
	if sc.IsValid() {
		// Both IDs in lowercase hex, as TraceID.String and SpanID.String
		// write them, in one allocation instead of their two each and
		// the interface a zap.Stringer field takes.
		tid, sid := sc.TraceID(), sc.SpanID()
		var s [2 * (len(tid) + len(sid))]byte
		hex.Encode(s[:2*len(tid)], tid[:])
		hex.Encode(s[2*len(tid):], sid[:])
		ids := string(s[:])
		f = append(f, zap.String(FieldTraceID, ids[:2*len(tid)]), zap.String(FieldSpanID, ids[2*len(tid):]))
	}
	return f
}
