package tlsx

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
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
	tickets ticketPhases // guarded by r.mu
}

// NewServerSource validates cfg, loads its files and starts polling them
// every ReloadInterval. It returns the problems of [ServerConfig.Validate]
// when cfg or its files are not usable.
func NewServerSource(ctx context.Context, cfg ServerConfig, opts ...ServerOption) (*ServerSource, error) {
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
		onSwap: func(m *material) {
			s.snap.Store(s.newConfig(m))
			if cfg.TicketKeysFile != "" {
				s.tickets.load(m.tickets, m.loaded)
			}
		},
	}
	if cfg.TicketKeysFile != "" {
		s.tickets.phase = cfg.ReloadInterval
		if s.tickets.phase <= 0 {
			s.tickets.phase = DefaultReloadInterval
		}
		s.r.onCheck = s.rotateTicketKeys
	}
	if err := s.r.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// rotateTicketKeys gives the ticket keys to the served config in the
// order their phases call for at now: the encrypting key first.
func (s *ServerSource) rotateTicketKeys(now time.Time) {
	order, changed := s.tickets.current(now)
	if !changed {
		return
	}
	// The configs GetConfigForClient returns carry no keys of their own,
	// so crypto/tls encrypts and decrypts with these.
	s.base.SetSessionTicketKeys(order)
	s.r.o.logger.Info("tlsx: session ticket keys in use",
		zap.Int("keys", len(order)), zap.String("encrypting", ticketKeyID(order[0])))
}

// ticketKeyID names a ticket key in logs without revealing it: the
// first 8 hex digits of its SHA-256.
func ticketKeyID(k [TicketKeySize]byte) string {
	sum := sha256.Sum256(k[:])
	return hex.EncodeToString(sum[:4])
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
// the configs GetConfigForClient returns. With
// [ServerConfig.TicketKeysFile] those keys come from the file, set with
// SetSessionTicketKeys at each phase of a rotation; do not set keys on
// the returned config yourself.
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
func (s *ServerSource) State() State {
	st := s.r.snapshot()
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if order := s.tickets.order; len(order) > 0 {
		st.TicketKeys, st.EncryptingTicketKey = len(order), ticketKeyID(order[0])
	}
	return st
}

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
