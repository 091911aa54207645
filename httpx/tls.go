package httpx

import (
	"crypto/tls"
	"io"
	"log"
	"slices"
	"strings"

	"github.com/harden-go/harden/tlsx"
)

// WithTLSConfig makes the server speak TLS with cfg on every listener it
// serves, and HTTP/2 through ALPN: "h2" is offered first, then "http/1.1",
// unless cfg lists its own protocols. cfg is cloned; certificates that
// rotate should come from cfg.GetCertificate or GetConfigForClient (a
// tlsx source provides them), not from a Certificates slice swapped later.
//
// The connection caps apply before the handshake, so a client refused at
// the cap costs no TLS work.
//
// Given with [WithTLSSource], it makes [NewServer] fail with
// [ErrTLSConflict], whatever their order.
func WithTLSConfig(cfg *tls.Config) ServerOption {
	return serverOptionFunc(func(o *serverOptions) {
		o.setTLSBy("WithTLSConfig")
		o.tlsSource = nil
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

// WithTLSSource makes the server speak TLS with the certificates of src,
// which rotate as src reloads them, and HTTP/2 through ALPN. Failed
// handshakes are logged once each by src's listener, typed, classified
// with their fix and rate-limited (see tlsx.ServerSource.Listener), and
// net/http's own text line for them is dropped. The connection caps apply
// before the handshake. src stays the caller's to close, after the server
// has shut down. Given with [WithTLSConfig], it makes [NewServer] fail
// with [ErrTLSConflict], whatever their order.
func WithTLSSource(src *tlsx.ServerSource) ServerOption {
	return serverOptionFunc(func(o *serverOptions) {
		o.setTLSBy("WithTLSSource")
		o.tlsSource = src
		o.tls = nil
		if src != nil {
			o.tls = src.TLSConfig()
		}
	})
}

// setTLSBy records that the option by sets the server's TLS, and a
// conflict when the other TLS option set it first.
func (o *serverOptions) setTLSBy(by string) {
	if o.tlsBy != "" && o.tlsBy != by {
		o.tlsConflict = true
	}
	o.tlsBy = by
}

// handshakeLinePrefix starts the line net/http logs for a failed TLS
// handshake; with a tlsx source the listener logs the typed error instead.
const handshakeLinePrefix = "http: TLS handshake error"

// withoutHandshakeLines returns a logger that writes to l's writer all but
// net/http's handshake-failure lines.
func withoutHandshakeLines(l *log.Logger) *log.Logger {
	return log.New(dropLines{w: l.Writer(), prefix: handshakeLinePrefix}, "", 0)
}

type dropLines struct {
	w      io.Writer
	prefix string
}

func (d dropLines) Write(p []byte) (int, error) {
	if strings.HasPrefix(string(p), d.prefix) {
		return len(p), nil
	}
	return d.w.Write(p)
}
