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
	cfg, err := ca.ServerConfigIn(tempDirFor(t, srv), srv)
	failOn(t, err)
	return cfg
}

// ServerConfigIn is [CA.ServerConfig] writing the files of a fresh
// certificate, when srv is nil, in dir, as [NewCAIn] does.
func (ca *CA) ServerConfigIn(dir string, srv *Cert) (*tls.Config, error) {
	if srv == nil {
		var err error
		if srv, err = ca.ServerIn(dir); err != nil {
			return nil, err
		}
	}
	return &tls.Config{Certificates: []tls.Certificate{srv.TLS}}, nil
}

// tempDirFor returns a directory of t for the files of a certificate
// issued because srv is nil, and "" when srv is given.
func tempDirFor(t TB, srv *Cert) string {
	if srv != nil {
		return ""
	}
	return t.TempDir()
}

// MTLSServerConfig returns a config for a server that presents srv (nil:
// a fresh loopback certificate from ca) and requires a client certificate
// that chains to ca's root with extended key usage clientAuth
// (ClientAuth [tls.RequireAndVerifyClientCert], ClientCAs [CA.Pool]).
func (ca *CA) MTLSServerConfig(t TB, srv *Cert) *tls.Config {
	t.Helper()
	cfg, err := ca.MTLSServerConfigIn(tempDirFor(t, srv), srv)
	failOn(t, err)
	return cfg
}

// MTLSServerConfigIn is [CA.MTLSServerConfig] writing the files of a
// fresh certificate, when srv is nil, in dir, as [NewCAIn] does.
func (ca *CA) MTLSServerConfigIn(dir string, srv *Cert) (*tls.Config, error) {
	cfg, err := ca.ServerConfigIn(dir, srv)
	if err != nil {
		return nil, err
	}
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = ca.Pool()
	return cfg, nil
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
