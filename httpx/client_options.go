package httpx

import (
	"context"
	"net/http"

	"go.uber.org/zap"

	"github.com/harden-go/harden/retry"
	"github.com/harden-go/harden/tlsx"
)

// ClientOption configures [NewClient]. Every [TransportOption] is one too,
// since NewClient builds its transport.
type ClientOption interface {
	applyClient(*clientOptions)
}

// TransportOption configures [NewTransport] and [NewClient].
type TransportOption interface {
	ClientOption
	applyTransport(*transportOptions)
}

type transportOptions struct {
	logger    *zap.Logger
	tlsSource *tlsx.ClientSource
	ctx       context.Context
}

type clientOptions struct {
	transport transportOptions
	telemetry
	auth retry.Authenticator
	base http.RoundTripper
}

type transportOptionFunc func(*transportOptions)

func (f transportOptionFunc) applyTransport(o *transportOptions) { f(o) }
func (f transportOptionFunc) applyClient(o *clientOptions)       { f(&o.transport) }

type clientOptionFunc func(*clientOptions)

func (f clientOptionFunc) applyClient(o *clientOptions) { f(o) }

func (f telemetryOption) applyClient(o *clientOptions) { f(&o.telemetry) }

func (o loggerOption) applyTransport(t *transportOptions) {
	if o.l != nil {
		t.logger = o.l
	}
}

func (o loggerOption) applyClient(c *clientOptions) { o.applyTransport(&c.transport) }

func newTransportOptions(opts []TransportOption) transportOptions {
	o := transportOptions{logger: zap.NewNop(), ctx: context.Background()}
	for _, opt := range opts {
		if opt != nil {
			opt.applyTransport(&o)
		}
	}
	return o
}

func newClientOptions(opts []ClientOption) clientOptions {
	o := clientOptions{transport: newTransportOptions(nil)}
	for _, opt := range opts {
		if opt != nil {
			opt.applyClient(&o)
		}
	}
	return o
}

// WithClientTLSSource makes the transport dial TLS with src's
// certificate and CAs, which rotate as src reloads them, instead of
// building a source from the config's client.tls section, which must
// then be left at its defaults. src stays the caller's to close, after
// the last request.
func WithClientTLSSource(src *tlsx.ClientSource) TransportOption {
	return transportOptionFunc(func(o *transportOptions) { o.tlsSource = src })
}

// WithContext bounds the life of what [NewTransport] starts: the TLS
// source it builds from client.tls polls its files until ctx ends. Nil or
// absent: the poller runs for the life of the process, which suits a
// client built once in main. A source given by [WithClientTLSSource] is
// not affected.
func WithContext(ctx context.Context) TransportOption {
	return transportOptionFunc(func(o *transportOptions) {
		if ctx != nil {
			o.ctx = ctx
		}
	})
}

// WithAuthenticator sets the [retry.Authenticator] that puts credentials
// on every attempt and renews them once per request when a server
// rejects them (see [retry.Transport.RoundTrip]). Nil or absent: requests
// carry the caller's headers, and 401s are returned as they are.
func WithAuthenticator(a retry.Authenticator) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.auth = a })
}

// WithBaseTransport puts rt under the client's stack instead of the
// *http.Transport [NewTransport] would build: the client.timeouts dial,
// tls_handshake, response_header, expect_continue and idle, the pool,
// http2 and max_response_header_bytes are then rt's to enforce (the
// pool's max_connection_lifetime still applies to the connections rt
// reports through net/http/httptrace), and
// [NewClient] refuses a client.tls section or a [WithClientTLSSource],
// since rt's TLS is its own. Use it to call through a test double or
// another library's transport. Nil or absent: the transport of
// [NewTransport].
func WithBaseTransport(rt http.RoundTripper) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.base = rt })
}
