package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/harden-go/harden/middleware"
	"github.com/harden-go/harden/retry"
)

// ErrRedirectDowngrade is returned (wrapped in *url.Error) for a redirect
// from https to http, which would send the request and its credentials
// in clear text.
var ErrRedirectDowngrade = errors.New("httpx: refusing a redirect from https to http")

// ErrTooManyRedirects is returned (wrapped in *url.Error) when a request
// is redirected more than client.max_redirects times.
var ErrTooManyRedirects = errors.New("httpx: too many redirects")

// NewClient returns an *http.Client for cfg, after its zero fields take
// their defaults. Each request goes, outermost first, through:
//
//   - the request ID of its context (middleware.RequestIDFrom), sent in
//     X-Request-ID, the same on every attempt;
//   - retries under cfg.Retry ([retry.NewTransport]), with the
//     [retry.Authenticator] of [WithAuthenticator] authorizing each
//     attempt and renewing rejected credentials once;
//   - one OpenTelemetry client span per attempt, under the caller's span,
//     with the trace context injected;
//   - the retirement of pooled connections older than
//     cfg.Pool.MaxConnectionLifetime, so that new connections resolve the
//     host's name again (see "Connection lifetime" in the package doc);
//   - the transport of [NewTransport], or the one of [WithBaseTransport].
//
// Its Transport bounds each call, from the first attempt through every
// retry and redirect to the end of reading the body, by
// cfg.Timeouts.Total, as http.Client.Timeout would, at a lower cost per
// call; the client's own Timeout is left zero, and a Timeout set on it
// adds net/http's bound to the Transport's. A call cut by the total fails
// with an error that wraps [ErrTotalTimeout] and [context.DeadlineExceeded]
// and whose Timeout method reports true; the *[retry.Error] of its last
// attempt, when there was one, stays in the chain. Its redirect policy
// follows at most cfg.MaxRedirects redirects, never from https to http
// ([ErrRedirectDowngrade]), dropping Authorization, Cookie and
// Proxy-Authorization when a redirect leaves the origin of the request
// (scheme, host and port; net/http keeps them for another port of the
// same host). It refuses a config that [ClientConfig.Validate] rejects.
//
// The logger of [WithLogger] records each retry decision at debug level
// and the TLS source's reloads. Errors are *url.Error values, as
// net/http returns them, whose URL keeps the query and fragment: pass
// them through [retry.RedactError] before logging or returning them.
// [http.Client.CloseIdleConnections] reaches the transport.
func NewClient(cfg ClientConfig, opts ...ClientOption) (*http.Client, error) {
	o := newClientOptions(opts)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base := o.base
	if base != nil && (o.transport.tlsSource != nil || cfg.customTLS()) {
		return nil, fmt.Errorf("%w: WithBaseTransport brings its own TLS; remove client.tls or WithClientTLSSource", ErrTLSConflict)
	}
	if base == nil {
		tr, err := newTransport(cfg, o.transport, o.mp)
		if err != nil {
			return nil, err
		}
		base = tr
	}
	c := cfg.withDefaults()
	traced := middleware.TraceTransport(withLifetime(base, c.Pool.MaxConnectionLifetime.Std()), o.middleware()...)
	rt, err := retry.NewTransport(traced, cfg.Retry,
		retry.WithAuthenticator(o.auth), retry.WithLogger(o.transport.logger), retry.WithMeterProvider(o.mp))
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport:     &stack{next: middleware.PropagateRequestID(rt), base: base, total: noLimit(c.Timeouts.Total).Std()},
		CheckRedirect: redirectPolicy(c.MaxRedirects),
	}, nil
}

// redirectPolicy returns the CheckRedirect of a client that follows at
// most limit redirects (none when negative).
func redirectPolicy(limit int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if limit < 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > limit {
			return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, limit)
		}
		prev := via[len(via)-1]
		if prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
			return ErrRedirectDowngrade
		}
		if origin(req.URL) != origin(via[0].URL) {
			for _, h := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
				req.Header.Del(h)
			}
		}
		return nil
	}
}

// origin is u's scheme, host and port (RFC 6454), with the scheme's
// default port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return u.Scheme + "://" + u.Hostname() + ":" + port
}
