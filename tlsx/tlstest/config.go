package tlstest

import "crypto/tls"

// ServerConfig returns a config for a server that presents srv and asks
// for no client certificate. A nil srv means a fresh [CA.Server]
// certificate for loopback. srv need not be issued by ca. Everything else
// is crypto/tls's default, so the config suits tls.Listen, an
// [http.Server]'s TLSConfig and httptest's Server.TLS alike; net/http
// adds the ALPN protocols itself.
func (ca *CA) ServerConfig(t TB, srv *Cert) *tls.Config {
	t.Helper()
	if srv == nil {
		srv = ca.Server(t)
	}
	return &tls.Config{Certificates: []tls.Certificate{srv.TLS}}
}

// MTLSServerConfig returns a config for a server that presents srv (nil:
// a fresh loopback certificate from ca) and requires a client certificate
// that chains to ca's root with extended key usage clientAuth
// (ClientAuth [tls.RequireAndVerifyClientCert], ClientCAs [CA.Pool]).
func (ca *CA) MTLSServerConfig(t TB, srv *Cert) *tls.Config {
	t.Helper()
	cfg := ca.ServerConfig(t, srv)
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = ca.Pool()
	return cfg
}

// ClientConfig returns a config for a client that trusts ca's root only
// (RootCAs [CA.Pool]) and presents cli when the server asks for a
// certificate; a nil cli presents none. Like every Go client, it sends
// cli only if cli chains to a CA the server names in its request, and
// otherwise sends nothing, so a server of another PKI reports a missing
// client certificate rather than an unknown authority.
//
// ServerName is left empty: tls.Dial and http.Transport set it from the
// address dialled, which a loopback server certificate from [CA.Server]
// covers. Set it to check a certificate against another name.
// Verification is never skipped.
func (ca *CA) ClientConfig(cli *Cert) *tls.Config {
	cfg := &tls.Config{RootCAs: ca.Pool()}
	if cli != nil {
		cfg.Certificates = []tls.Certificate{cli.TLS}
	}
	return cfg
}
