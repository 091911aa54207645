package middleware

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/harden-go/harden/internal/reqid"
)

// AnsweredByHandler is the answered_by value of an access-log line for a
// response the handler wrote. A guard's answer is logged with the code of
// its problem answer instead ([CodeHandlerTimeout], [CodePanic],
// limits.CodeBodyTooLarge, ...).
const AnsweredByHandler = "handler"

// DefaultSensitiveQuery lists the query parameters whose values
// [AccessLog] always redacts, each a credential that a standard or a
// cloud puts in query strings:
//
//   - OAuth 2.0: code, client_secret, refresh_token, access_token (RFC
//     6749 sections 4.1.2, 2.3.1, 6; RFC 6750 section 2.3), id_token
//     (OpenID Connect Core 1.0 section 3.2.2.5), assertion and
//     client_assertion (RFC 7521 section 4; RFC 7523 section 2),
//     subject_token and actor_token (RFC 8693 section 2.1),
//     code_verifier (RFC 7636 section 4.5);
//   - presigned URLs: X-Amz-Credential, X-Amz-Signature and
//     X-Amz-Security-Token (AWS SigV4 query-string authentication),
//     X-Goog-Credential and X-Goog-Signature (Google Cloud Storage V4
//     signing), Signature (its V2 signing, and Alibaba OSS), sig (Azure
//     shared access signatures);
//   - the generic names APIs use: password, token, api_key, apikey, key
//     (Google API keys).
//
// Names are matched without regard to case. The function returns a
// fresh slice.
func DefaultSensitiveQuery() []string {
	return []string{
		"code", "client_secret", "refresh_token", "access_token", "id_token",
		"assertion", "client_assertion", "subject_token", "actor_token", "code_verifier",
		"x-amz-credential", "x-amz-signature", "x-amz-security-token",
		"x-goog-credential", "x-goog-signature", "signature", "sig",
		"password", "token", "api_key", "apikey", "key",
	}
}

// redacted replaces the value of a sensitive query parameter.
const redacted = "REDACTED"

// AccessLog returns middleware that writes one line per request, with
// message "request", to the logger of [WithLogger] (absent: no logging),
// at info level, or error level for a 5xx answer or an aborted response,
// with the fields
//
//	method, route, path, query, proto, status, bytes_in, bytes_out,
//	duration, remote_addr, user_agent, answered_by,
//	request_id, trace_id, span_id
//
// No header but User-Agent is logged, and query has the values of
// [DefaultSensitiveQuery] and [WithSensitiveQuery] redacted. [WithSampling]
// thins out ordinary requests. "Access log" in the package documentation
// says what each field holds and how panics and hijacked connections are
// logged. The middleware is safe for concurrent use.
func AccessLog(opts ...AccessLogOption) func(http.Handler) http.Handler {
	o := newOptions(opts)
	logger := o.logger
	sensitive := make(map[string]bool)
	for _, n := range append(DefaultSensitiveQuery(), o.sensitive...) {
		sensitive[strings.ToLower(n)] = true
	}
	var seen atomic.Uint64
	sample := uint64(o.sample)
	return func(next http.Handler) http.Handler {
		return layer(func(w http.ResponseWriter, r *http.Request, ctx context.Context, body io.ReadCloser) {
			st, ctx := withState(ctx)
			st.logger = logger
			if !logger.Core().Enabled(zapcore.ErrorLevel) {
				// Nothing would be logged (zap.NewNop, the absence of
				// WithLogger, a level above error): no recorder, no
				// counting, no fields.
				handOn(next, st, w, r, ctx, body)
				noteRoute(st, r)
				return
			}
			start := time.Now()
			rw := st.recorder(w)
			counted, body := countBody(r, body)
			done := false
			defer func() {
				noteRoute(st, r)
				status := rw.status
				switch {
				case status == 0 && rw.hijacked:
					status = http.StatusSwitchingProtocols
				case status == 0:
					status = http.StatusOK // what net/http sends for a silent handler
				}
				answeredBy := st.answered.Code()
				if answeredBy == "" {
					answeredBy = AnsweredByHandler
				}
				if done && sample > 1 && status < 500 && answeredBy == AnsweredByHandler && (seen.Add(1)-1)%sample != 0 {
					return
				}
				lvl := zapcore.InfoLevel
				if status >= 500 || !done {
					lvl = zapcore.ErrorLevel
				}
				ce := logger.Check(lvl, "request")
				if ce == nil {
					return
				}
				fp := fieldPool.Get().(*[]zap.Field)
				f := append((*fp)[:0],
					zap.String("method", r.Method),
					zap.String("route", st.route),
					zap.String("path", r.URL.Path),
				)
				if r.URL.RawQuery != "" {
					f = append(f, zap.String("query", redactQuery(r.URL.RawQuery, sensitive)))
				}
				f = append(f,
					zap.String("proto", r.Proto),
					zap.Int("status", status),
					zap.Int64("bytes_in", counted.count()),
					zap.Int64("bytes_out", rw.bytes),
					zap.Duration("duration", time.Since(start)),
					zap.String("remote_addr", r.RemoteAddr),
					zap.String("user_agent", r.UserAgent()),
					zap.String("answered_by", answeredBy),
				)
				if !done {
					f = append(f, zap.Bool("aborted", true))
				}
				f = appendIDs(f, reqid.From(ctx), trace.SpanContextFromContext(ctx))
				ce.Write(f...)
				clear(f) // the pool keeps no request's strings alive
				*fp = f[:0]
				fieldPool.Put(fp)
			}()
			handOn(next, st, rw, r, ctx, body)
			done = true
		})
	}
}

// fieldPool holds the field slices of access-log lines: a line's fields
// are encoded by the time CheckedEntry.Write returns (zapcore.Core's
// contract), so one slice serves request after request instead of one
// allocation of every field for each. Its New makes room for them all.
var fieldPool = sync.Pool{New: func() any {
	f := make([]zap.Field, 0, 17)
	return &f
}}

// countBody returns a counter of the request's body and the body to
// hand the next handler in its place, body being the one the request
// is handed on with ([layer]; nil: r.Body). When there is no body, the
// counter is nil and body is handed on as it is.
func countBody(r *http.Request, body io.ReadCloser) (*countingBody, io.ReadCloser) {
	b := body
	if b == nil {
		b = r.Body
	}
	if b == nil || b == http.NoBody {
		return nil, body
	}
	c := &countingBody{ReadCloser: b}
	return c, c
}

// count is the number of bytes read; 0 for a nil counter.
func (b *countingBody) count() int64 {
	if b == nil {
		return 0
	}
	return b.n
}

// countingBody counts the request body bytes the handler reads.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// redactQuery returns the raw query q with the values of the parameters
// in sensitive replaced, keeping everything else as it was sent: q
// itself, with no allocation, when nothing is sensitive.
func redactQuery(q string, sensitive map[string]bool) string {
	var b strings.Builder
	kept := 0 // q[:kept] is in b, when b has begun
	for start := 0; start <= len(q); {
		end := strings.IndexByte(q[start:], '&')
		if end < 0 {
			end = len(q)
		} else {
			end += start
		}
		name, _, hasValue := strings.Cut(q[start:end], "=")
		if hasValue && sensitiveName(name, sensitive) {
			if b.Len() == 0 {
				b.Grow(len(q) + len(redacted))
			}
			b.WriteString(q[kept:start])
			b.WriteString(name)
			b.WriteString("=" + redacted)
			kept = end
		}
		start = end + 1
	}
	if b.Len() == 0 {
		return q
	}
	b.WriteString(q[kept:])
	return b.String()
}

// sensitiveName reports whether the raw query parameter name, unescaped
// and without regard to case, is in sensitive.
func sensitiveName(name string, sensitive map[string]bool) bool {
	key, err := url.QueryUnescape(name)
	if err != nil {
		key = name
	}
	return sensitive[strings.ToLower(key)]
}
