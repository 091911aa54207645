package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"go.opentelemetry.io/otel/metric"

	"github.com/harden-go/harden/tlsx"
)

// ErrTLSConflict is returned when two settings name the same TLS and one
// would be ignored: by [NewTransport] and [NewClient] for a
// [WithClientTLSSource] and a client.tls section, or either with a
// [WithBaseTransport]; by [NewServer] for [WithTLSConfig] with
// [WithTLSSource].
var ErrTLSConflict = errors.New("httpx: TLS is set twice; one setting would be ignored")

// NewTransport returns the *http.Transport of cfg, after its zero fields
// take their defaults: dial and TLS handshake timeouts with TCP
// keep-alive, the response-header and 100-continue timeouts, the pool
// shape and idle timeout, HTTP/2 over TLS with health PINGs, and TLS from
// cfg.TLS through a [tlsx.ClientSource] (or the source of
// [WithClientTLSSource]), so rotated certificates and CAs are used on new
// connections. Proxies come from the environment, as with
// http.DefaultTransport. It refuses a config that [ClientConfig.Validate]
// rejects.
//
// The transport holds no goroutines of its own besides net/http's. A
// source it builds from cfg.TLS polls its files, and is closed, when the
// context of [WithContext] ends.
func NewTransport(cfg ClientConfig, opts ...TransportOption) (*http.Transport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newTransport(cfg, newTransportOptions(opts), nil)
}

// newTransport builds the transport of a valid cfg.
func newTransport(cfg ClientConfig, o transportOptions, mp metric.MeterProvider) (*http.Transport, error) {
	if o.tlsSource != nil && cfg.customTLS() {
		return nil, fmt.Errorf("%w: WithClientTLSSource replaces client.tls; leave client.tls at its defaults", ErrTLSConflict)
	}
	c := cfg.withDefaults()
	src := o.tlsSource
	if src == nil {
		tlsCfg := cfg.TLS
		if tlsCfg.CAFile == "" && tlsCfg.CertFile == "" && tlsCfg.KeyFile == "" {
			// No file, nothing to reload: the system roots are read once.
			tlsCfg.ReloadInterval = -1
		}
		var err error
		src, err = tlsx.NewClientSource(o.ctx, tlsCfg, tlsx.WithLogger(o.logger), tlsx.WithMeterProvider(mp))
		if err != nil {
			return nil, err
		}
		context.AfterFunc(o.ctx, func() { src.Close() })
	}
	t := c.Timeouts
	dialer := &net.Dialer{Timeout: noLimit(t.Dial).Std(), KeepAlive: defaultClientKeepAlive.Std()}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        src.TLSConfig(),
		TLSHandshakeTimeout:    noLimit(t.TLSHandshake).Std(),
		ResponseHeaderTimeout:  noLimit(t.ResponseHeader).Std(),
		ExpectContinueTimeout:  noLimit(t.ExpectContinue).Std(),
		IdleConnTimeout:        noLimit(t.Idle).Std(),
		MaxIdleConns:           noLimit(c.Pool.MaxIdle),
		MaxIdleConnsPerHost:    c.Pool.MaxIdlePerHost,
		MaxConnsPerHost:        noLimit(c.Pool.MaxPerHost),
		MaxResponseHeaderBytes: int64(noLimit(c.MaxResponseHeaderBytes)),
		ForceAttemptHTTP2:      true,
	}
	if c.HTTP2.PingAfter > 0 {
		tr.HTTP2 = &http.HTTP2Config{SendPingTimeout: c.HTTP2.PingAfter.Std(), PingTimeout: c.HTTP2.PingTimeout.Std()}
	}
	return tr, nil
}
