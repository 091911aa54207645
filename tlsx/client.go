package tlsx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync/atomic"

	"go.uber.org/zap"
)

// ClientSource serves the client certificate and the server CAs of a
// [ClientConfig] and reloads them from their files, as [ServerSource]
// does for a server.
//
// A ClientSource is safe for concurrent use. It owns one goroutine that
// polls the files; [ClientSource.Close] or the end of the context given
// to [NewClientSource] stops it.
type ClientSource struct {
	cfg     ClientConfig
	r       *reloader
	conf    *tls.Config
	allowed atomic.Pointer[Identities]
}

// ErrNoServerName is returned from a handshake of a [ClientSource]'s
// config that has no server name to check the certificate against: the
// config's ServerName is empty and the client dialled an IP address,
// which crypto/tls does not report to the verification callback. Set
// ServerName in the [ClientConfig].
var ErrNoServerName = errors.New("tlsx: no server name to verify the certificate against; set tls.server_name")

// NewClientSource validates cfg, loads its files and starts polling them
// every ReloadInterval. A client that skips verification (with the
// opt-out InsecureSkipVerifyReason) is logged at warning level.
func NewClientSource(ctx context.Context, cfg ClientConfig, opts ...ClientOption) (*ClientSource, error) {
	o := newOptions(opts)
	if err := cfg.validate(o.now()); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &ClientSource{cfg: cfg}
	allowed := cfg.AllowedServers.clone()
	c.allowed.Store(&allowed)
	if cfg.InsecureSkipVerify {
		o.logger.Warn("tlsx: TLS client does not verify servers (rule tls-verify opted out)",
			zap.String("reason", cfg.InsecureSkipVerifyReason))
	}
	c.r = &reloader{spec: cfg.spec(), side: "client", interval: cfg.ReloadInterval, o: o, onSwap: func(*material) {}}
	c.conf = c.newConfig()
	if err := c.r.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *ClientSource) newConfig() *tls.Config {
	conf := baseConfig(tlsVersions[c.cfg.MinVersion])
	conf.ServerName = c.cfg.ServerName
	// crypto/tls verifies against the fixed RootCAs of the config it is
	// given, which could not follow a rotation of the CA file. The
	// source verifies in VerifyConnection instead, with the CA pool of
	// the version loaded last and exactly the options crypto/tls would
	// use; VerifyConnection runs on resumed sessions too, so a session
	// from before a CA or allow-list change is checked again.
	conf.InsecureSkipVerify = true
	conf.VerifyConnection = c.verify
	if c.cfg.CertFile != "" {
		conf.GetClientCertificate = c.clientCertificate
	}
	return conf
}

// verify checks the server's chain, name and identity.
func (c *ClientSource) verify(cs tls.ConnectionState) error {
	if c.cfg.InsecureSkipVerify {
		return nil
	}
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tlsx: server sent no certificate")
	}
	name := c.cfg.ServerName
	if name == "" {
		name = cs.ServerName
	}
	if name == "" {
		return ErrNoServerName
	}
	m := c.r.cur.Load()
	opts := x509.VerifyOptions{
		Roots:         m.pool,
		Intermediates: x509.NewCertPool(),
		DNSName:       name,
		CurrentTime:   c.r.o.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, ic := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(ic)
	}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
	}
	return c.allowed.Load().checkPeer("server", cs.PeerCertificates, cs.DidResume)
}

// clientCertificate presents the current certificate whatever CAs the
// server names in its request. crypto/tls's own selection sends no
// certificate when the chain does not match those names (an
// intermediate listed instead of the root, a renamed CA), and the
// server then reports a missing certificate instead of the real
// mismatch.
func (c *ClientSource) clientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return c.r.cur.Load().cert, nil
}

// TLSConfig returns the config to dial with: set it as
// http.Transport.TLSClientConfig or pass it to tls.Dial. Each handshake
// uses the certificate and CAs loaded last. The config sets
// InsecureSkipVerify because its VerifyConnection does the verification
// (see the comment in the source); Clone it before changing it, and never
// remove VerifyConnection, which would leave no verification at all.
func (c *ClientSource) TLSConfig() *tls.Config { return c.conf }

// Reload reads the files now, as [ServerSource.Reload].
func (c *ClientSource) Reload() error { return c.r.reload() }

// State returns what the source presents and how its reloads went.
func (c *ClientSource) State() State { return c.r.snapshot() }

// SetAllowedServers replaces the allow-list of server identities for
// every later handshake, including resumed sessions.
func (c *ClientSource) SetAllowedServers(ids Identities) error {
	p := &problems{Prefix: "tls."}
	ids.validate(p, "allowed_servers")
	if !ids.empty() && c.cfg.InsecureSkipVerify {
		p.Add("allowed_servers", RuleTLSVerify, "cannot be enforced with insecure_skip_verify")
	}
	if err := p.Err(); err != nil {
		return err
	}
	ids = ids.clone()
	c.allowed.Store(&ids)
	return nil
}

// Close stops polling and unregisters the expiry gauge. Close is
// idempotent.
func (c *ClientSource) Close() error { return c.r.close() }

// Explain is [Explain] with the CAs of CAFile in use as the trusted
// certificates, for errors of handshakes with this source's config.
func (c *ClientSource) Explain(err error) *HandshakeError {
	return explainAt(err, c.r.o.now(), c.r.cur.Load().cas)
}
