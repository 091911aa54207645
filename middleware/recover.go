package middleware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/internal/reqcopy"
	"github.com/harden-go/harden/internal/reqid"
)

// CodePanic is the code member of the problem answer that [Recover]
// writes for a handler that panicked.
const CodePanic = "panic"

// handlerOnlyHeaders are headers a handler may have set for the answer it
// meant to give, which would be wrong on the 500 that replaces it: a
// cache must not keep the failure (Cache-Control, Expires), a client must
// not follow or store it (Location, Content-Disposition, Set-Cookie), and
// its body is not a range or followed by trailers.
var handlerOnlyHeaders = []string{
	"Cache-Control", "Expires", "Location", "Content-Disposition",
	"Set-Cookie", "Content-Range", "Trailer",
}

// Recover returns middleware that turns a handler's panic into an answer
// and one log line, instead of net/http's reaction: a stack trace on the
// server's error log, with no request ID, and a connection reset that the
// client cannot tell from a crash.
//
// When the handler panics before it has written anything, the client is
// answered 500 Internal Server Error as application/problem+json (code
// [CodePanic], carrying the request ID), with Connection: close on
// HTTP/1.x since the handler may have left the body half read, and
// without the caching, redirect and cookie headers the handler set for
// the answer it meant to give. When it had already committed to an answer
// (a status, a body byte, a flush, or a hijack), that answer cannot be
// replaced, and ending it cleanly would hand the client a truncated body
// as if it were whole: Recover re-panics with [http.ErrAbortHandler], so
// net/http aborts the response (the connection closes mid-body on
// HTTP/1.x, the stream is reset on HTTP/2) without logging a stack. The
// one exception is a complete problem answer that a harden guard gave
// before the panic (the handler timeout's 503): it stays as it is. In
// every case the logger of [WithLogger] gets one line at error level with the panic value,
// the stack, whether the client was answered or the response aborted,
// and the request_id, trace_id and span_id of the request. Without a
// logger it logs nothing.
//
// A panic with [http.ErrAbortHandler] is net/http's way of aborting a
// response on purpose (httputil.ReverseProxy uses it when the backend
// fails mid-body); it is re-panicked untouched and not logged, so
// net/http closes the connection quietly, as it would without Recover.
//
// Recover sits outside the handler timeout ([Timeout] runs the handler on
// the serving goroutine, so a panic reaches it) and inside [AccessLog], so
// the 500 is logged like any other answer and an aborted response with
// aborted=true. The ResponseWriter the handler receives implements
// [http.Flusher], [http.Hijacker] and Unwrap for
// [http.ResponseController]. The middleware is safe for concurrent use.
func Recover(opts ...LogOption) func(http.Handler) http.Handler {
	logger := newOptions(opts).logger
	return func(next http.Handler) http.Handler {
		return layer(func(w http.ResponseWriter, r *http.Request, ctx context.Context, body io.ReadCloser) {
			st, ctx := withState(ctx)
			rw := st.recorder(w) // AccessLog's, when it is right outside
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				// A guard's problem answer is whole on the wire (it has a
				// Content-Length); anything else the handler began is not.
				abort := rw.committed() && st.answered.Code() == ""
				fields := []zap.Field{
					zap.String("panic", fmt.Sprint(v)),
					zap.String("method", r.Method),
					zap.String("route", routeOf(st)),
					zap.Bool("answered", !rw.committed()),
					zap.Bool("aborted", abort),
					zap.ByteString("stack", debug.Stack()),
				}
				fields = appendIDs(fields, reqid.From(ctx), trace.SpanContextFromContext(ctx))
				logger.Error("handler panicked", fields...)
				if abort {
					panic(http.ErrAbortHandler)
				}
				if rw.committed() {
					return
				}
				h := w.Header()
				for _, k := range handlerOnlyHeaders {
					h.Del(k)
				}
				if r.ProtoMajor == 1 {
					h.Set("Connection", "close")
				}
				problem.Write(w, reqcopy.With(r, ctx, nil), http.StatusInternalServerError, CodePanic, "the handler failed; quote the request ID when reporting it")
			}()
			defer noteRoute(st, r) // runs first, so a panic's line has the route
			handOn(next, st, rw, r, ctx, body)
		})
	}
}
