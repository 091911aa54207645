package httpx

import (
	"crypto/tls"
	"slices"
)

// WithTLSConfig makes the server speak TLS with cfg on every listener it
// serves, and HTTP/2 through ALPN: "h2" is offered first, then "http/1.1",
// unless cfg lists its own protocols. cfg is cloned; certificates that
// rotate should come from cfg.GetCertificate or GetConfigForClient (a
// tlsx source provides them), not from a Certificates slice swapped later.
//
// The connection caps apply before the handshake, so a client refused at
// the cap costs no TLS work.
func WithTLSConfig(cfg *tls.Config) Option {
	return optionFunc(func(o *options) {
		if cfg == nil {
			o.tls = nil
			return
		}
		c := cfg.Clone()
		if len(c.NextProtos) == 0 {
			c.NextProtos = []string{"h2", "http/1.1"}
		} else if !slices.Contains(c.NextProtos, "http/1.1") {
			c.NextProtos = append(c.NextProtos, "http/1.1")
		}
		o.tls = c
	})
}
