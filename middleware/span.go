package middleware

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// spanner makes [Trace]'s server spans itself when the meter provider
// records nothing ("Telemetry" in the package documentation): the span
// otelhttp would make, under otelhttp's instrumentation scope, with the
// same name and semantic-convention attributes, but without otelhttp's
// per-request wrapping and metric attribute sets, and with the
// attributes computed only for a span that records.
type spanner struct {
	t telemetry
	// cached is the tracer of the provider last used, so that the
	// provider is asked for it once, not per request.
	cached atomic.Pointer[cachedTracer]
}

type cachedTracer struct {
	tp     trace.TracerProvider
	tracer trace.Tracer
}

// tracer returns the tracer of the provider in force now: the explicit
// one, or the global one as it is at this request.
func (s *spanner) tracer() trace.Tracer {
	tp := s.t.tp
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if c := s.cached.Load(); c != nil && c.tp == tp {
		return c.tracer
	}
	c := &cachedTracer{tp: tp, tracer: tp.Tracer(otelhttp.ScopeName, trace.WithInstrumentationVersion(otelhttp.Version))}
	s.cached.Store(c)
	return c.tracer
}

// serverSpan is the option of every span serve starts, made once: an
// option is an interface, which a call would allocate.
var serverSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}

// serve runs next in a server span continuing the caller's trace.
func (s *spanner) serve(next http.Handler, w http.ResponseWriter, r *http.Request, st *state, ctx context.Context, body io.ReadCloser) {
	ctx = s.t.extract(ctx, r.Header)
	ctx, span := s.tracer().Start(ctx, spanMethod(r.Method), serverSpan...)
	defer span.End()
	if !span.IsRecording() {
		handOn(next, st, w, r, ctx, body)
		noteRoute(st, r)
		return
	}
	// The request's attributes go to the span with the response's, in
	// one call that grows the span's attribute list once; a panic that
	// passes through gets them on its own.
	attrs := requestAttrs(r)
	answered := false
	defer func() {
		if !answered {
			span.SetAttributes(attrs...)
		}
	}()
	rw := st.recorder(w)
	counted, body := countBody(r, body)
	handOn(next, st, rw, r, ctx, body)
	noteRoute(st, r)
	answered = true
	status := rw.status
	if status == 0 {
		status = http.StatusOK
	}
	if n := counted.count(); n > 0 {
		attrs = append(attrs, semconv.HTTPRequestBodySize(int(n)))
	}
	if rw.bytes > 0 {
		attrs = append(attrs, semconv.HTTPResponseBodySize(int(rw.bytes)))
	}
	attrs = append(attrs, semconv.HTTPResponseStatusCode(status))
	route := routeOf(st)
	if route != "" {
		attrs = append(attrs, semconv.HTTPRoute(routePath(route)))
	}
	span.SetAttributes(attrs...)
	switch {
	case status < 100 || status >= 600:
		span.SetStatus(codes.Error, fmt.Sprintf("Invalid HTTP status code %d", status))
	case status >= 500:
		span.SetStatus(codes.Error, "")
	}
	if route != "" {
		span.SetName(spanMethod(r.Method) + " " + routePath(route))
	}
}

// spanMethod is the method as a span name has it: one of HTTP's, or
// "HTTP" for any other, so that clients cannot mint span names.
func spanMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "HTTP"
}

// requestAttrs are the attributes otelhttp gives a server span for r, in
// a slice with room for those of the response.
func requestAttrs(r *http.Request) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 16)
	host, port := splitHostPort(r.Host)
	attrs = append(attrs, semconv.ServerAddress(host))
	if method := spanMethod(r.Method); method != "HTTP" {
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String(method))
	} else {
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String("_OTHER"), semconv.HTTPRequestMethodOriginal(r.Method))
	}
	scheme, defaultPort := "http", 80
	if r.TLS != nil {
		scheme, defaultPort = "https", 443
	}
	attrs = append(attrs, semconv.URLScheme(scheme))
	if port > 0 && port != defaultPort {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	peer, peerPort := splitHostPort(r.RemoteAddr)
	if peer != "" {
		attrs = append(attrs, semconv.NetworkPeerAddress(peer))
		if peerPort > 0 {
			attrs = append(attrs, semconv.NetworkPeerPort(peerPort))
		}
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginal(ua))
	}
	client := r.Header.Get("X-Forwarded-For")
	if i := strings.IndexByte(client, ','); i >= 0 {
		client = client[:i]
	}
	if client == "" {
		client = peer
	}
	if client != "" {
		attrs = append(attrs, semconv.ClientAddress(client))
	}
	if r.URL != nil && r.URL.Path != "" {
		attrs = append(attrs, semconv.URLPath(r.URL.Path))
	}
	if _, version, ok := strings.Cut(r.Proto, "/"); ok && version != "" {
		attrs = append(attrs, semconv.NetworkProtocolVersion(version))
	}
	return attrs
}

// splitHostPort splits "host:port" as otelhttp does: the port is -1 when
// absent or not a number.
func splitHostPort(hostport string) (string, int) {
	if strings.IndexByte(hostport, ':') < 0 {
		// What the error of net.SplitHostPort would lead to, without
		// the error's allocation: a Host header without a port is usual.
		return strings.Trim(hostport, "[]"), -1
	}
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return strings.Trim(hostport, "[]"), -1
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 {
		return host, -1
	}
	return host, port
}
