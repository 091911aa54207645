package tlsx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"sync/atomic"
)

// ServerSource serves the certificate and client CAs of a [ServerConfig]
// and reloads them from their files. Its [*tls.Config] chooses them per
// handshake, so a reload applies to every new handshake without a
// restart, and a bad new version never replaces a good one.
//
// A ServerSource is safe for concurrent use. It owns one goroutine that
// polls the files; [ServerSource.Close] or the end of the context given
// to [NewServerSource] stops it.
type ServerSource struct {
	cfg     ServerConfig
	r       *reloader
	base    *tls.Config
	snap    atomic.Pointer[tls.Config] // the config of the current version
	allowed atomic.Pointer[Identities]
	hlog    *handshakeLog
}

// NewServerSource validates cfg, loads its files and starts polling them
// every ReloadInterval. It returns the problems of [ServerConfig.Validate]
// when cfg or its files are not usable.
func NewServerSource(ctx context.Context, cfg ServerConfig, opts ...Option) (*ServerSource, error) {
	o := newOptions(opts)
	if err := cfg.validate(o.now()); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &ServerSource{cfg: cfg, hlog: newHandshakeLog(o)}
	allowed := cfg.AllowedClients.clone()
	s.allowed.Store(&allowed)
	s.base = s.newConfig(nil)
	s.base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return s.snap.Load(), nil
	}
	s.base.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return &s.snap.Load().Certificates[0], nil
	}
	s.r = &reloader{
		spec: cfg.spec(), side: "server", interval: cfg.ReloadInterval, o: o,
		onSwap: func(m *material) { s.snap.Store(s.newConfig(m)) },
	}
	if err := s.r.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// newConfig returns the config of one version of the files; with a nil
// m, the settings alone.
func (s *ServerSource) newConfig(m *material) *tls.Config {
	c := baseConfig(tlsVersions[s.cfg.MinVersion])
	c.NextProtos = serverNextProtos()
	c.ClientAuth = clientAuthTypes[s.cfg.ClientAuth]
	// The allow-list is checked in VerifyConnection, not
	// VerifyPeerCertificate: crypto/tls skips VerifyPeerCertificate on
	// resumed sessions, so a client refused after a change of the list
	// could still resume a session from before it (CVE-2025-68121,
	// spiffe/go-spiffe#378). VerifyConnection runs on every handshake.
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		return s.allowed.Load().checkPeer("client", cs.PeerCertificates, cs.DidResume)
	}
	if m != nil {
		c.Certificates = []tls.Certificate{*m.cert}
		c.ClientCAs = m.pool
	}
	return c
}

// TLSConfig returns the config to serve with: pass it to tls.Listen,
// http.Server.TLSConfig or httptest.Server.TLS. Each handshake takes
// the certificate and client CAs loaded last, through
// GetConfigForClient. Session tickets keep working across reloads: they
// are encrypted with the keys of this config, which crypto/tls uses for
// the configs GetConfigForClient returns.
//
// The config offers ALPN "h2" and "http/1.1"; a server that does not
// speak HTTP/2 must not use it unchanged. The returned value is shared:
// Clone it before changing it, and keep GetConfigForClient, or reloads
// and the allow-list stop applying.
func (s *ServerSource) TLSConfig() *tls.Config { return s.base }

// Reload reads the files now instead of at the next poll. It returns
// nil when they are unchanged or were loaded, and otherwise why they
// were refused; the previous version stays in use.
func (s *ServerSource) Reload() error { return s.r.reload() }

// State returns what the source serves and how its reloads went.
func (s *ServerSource) State() State { return s.r.snapshot() }

// SetAllowedClients replaces the allow-list of client identities for
// every later handshake, including resumptions of sessions made under
// the previous list. It refuses a malformed list, or a non-empty one on
// a server that does not verify client certificates.
func (s *ServerSource) SetAllowedClients(ids Identities) error {
	p := &problems{Prefix: "tls."}
	ids.validate(p, "allowed_clients")
	if !ids.empty() && s.cfg.ClientCAFile == "" {
		p.Add("allowed_clients", RuleClientCARequired, "is set without client_ca_file; set client_ca_file")
	}
	if err := p.Err(); err != nil {
		return err
	}
	ids = ids.clone()
	s.allowed.Store(&ids)
	return nil
}

// trusted returns the client CAs in use, to explain failures.
func (s *ServerSource) trusted() []*x509.Certificate { return s.r.cur.Load().cas }

// Close stops polling and unregisters the expiry gauge. Handshakes with
// the config go on with the last version loaded. Close is idempotent.
func (s *ServerSource) Close() error { return s.r.close() }

// Explain is [Explain] with the client CAs in use as the trusted
// certificates, for errors of handshakes with this source's config.
func (s *ServerSource) Explain(err error) *HandshakeError {
	return explainAt(err, s.r.o.now(), s.trusted())
}
