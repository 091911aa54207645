package tlsx_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// The client certificate is presented even when the server's request
// names other CAs; a Go client's own selection silently sends none.
func TestClientPresentsCertificateWhateverCANames(t *testing.T) {
	ca := tlstest.NewCA(t)
	other := tlstest.NewCA(t)
	cli := ca.Client(t, "spiffe://example.org/a")
	// The server asks for certificates of other (by name) but accepts
	// any and checks them itself, as servers behind a name-hint mismatch do.
	srvCfg := ca.ServerConfig(t, nil)
	srvCfg.ClientAuth = tls.RequireAnyClientCert
	srvCfg.ClientCAs = other.Pool()

	stock := ca.ClientConfig(cli)
	if r := handshake(t, srvCfg, stock); r.ServerErr == nil {
		t.Fatal("a stock Go client sent its certificate; the test would prove nothing")
	}
	src := newClient(t, tlsx.ClientConfig{CAFile: ca.CertFile, CertFile: cli.CertFile, KeyFile: cli.KeyFile})
	ok(t, handshake(t, srvCfg, src.TLSConfig()))
}

// Against a server whose client CAs list only an intermediate, the
// certificate issued under the root's other intermediate still reaches
// the server, which then reports the real problem: an unknown authority,
// not a missing certificate.
func TestClientCertificateReachesServerOfAnotherCA(t *testing.T) {
	ca := tlstest.NewCA(t)
	mid, mid2 := ca.Intermediate(t), ca.Intermediate(t)
	cli := mid2.Client(t)
	srvCfg := ca.ServerConfig(t, nil)
	srvCfg.ClientAuth = tls.RequireAndVerifyClientCert
	srvCfg.ClientCAs = x509.NewCertPool()
	srvCfg.ClientCAs.AddCert(mid.Certificate)

	src := newClient(t, tlsx.ClientConfig{CAFile: ca.CertFile, CertFile: cli.CertFile, KeyFile: cli.KeyFile})
	r := handshake(t, srvCfg, src.TLSConfig())
	var unknown x509.UnknownAuthorityError
	if !errors.As(r.ServerErr, &unknown) {
		t.Errorf("server error = %v, want x509.UnknownAuthorityError", r.ServerErr)
	}
}

// The client verifies the server against its CA file, the server's
// name and the allow-list, on full and resumed handshakes.
func TestClientVerifiesServer(t *testing.T) {
	ca := tlstest.NewCA(t)
	good := ca.ServerConfig(t, ca.Server(t, "localhost", "api.example.org", "spiffe://example.org/api"))
	src := newClient(t, tlsx.ClientConfig{CAFile: ca.CertFile, AllowedServers: tlsx.Identities{URI: []string{"spiffe://example.org/api"}}})
	ok(t, handshake(t, good, src.TLSConfig()))

	tests := []struct {
		name   string
		server *tls.Config
		check  func(error) bool
	}{
		{"another CA", tlstest.NewCA(t).ServerConfig(t, nil), func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}},
		{"regenerated CA", ca.Regenerate(t).ServerConfig(t, nil), func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}},
		{"expired", ca.ServerConfig(t, ca.Issuing(tlstest.Expired).Server(t)), func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.Expired
		}},
		{"client certificate served", ca.ServerConfig(t, ca.Client(t, "localhost")), func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.IncompatibleUsage
		}},
		{"other name", ca.ServerConfig(t, ca.Server(t, "db.example.org", "spiffe://example.org/api")), func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e)
		}},
		{"not in the allow-list", ca.ServerConfig(t, ca.Server(t, "localhost", "spiffe://example.org/db")), func(err error) bool {
			var e *tlsx.IdentityError
			return errors.As(err, &e) && e.Side == "server"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := handshake(t, tc.server, src.TLSConfig())
			if !tc.check(r.ClientErr) {
				t.Errorf("client error = %v", r.ClientErr)
			}
		})
	}

	t.Run("IP without server name", func(t *testing.T) {
		cfg := src.TLSConfig().Clone()
		cfg.ServerName = "127.0.0.1" // not sent as SNI, so not seen by VerifyConnection
		r := handshake(t, good, cfg)
		if !errors.Is(r.ClientErr, tlsx.ErrNoServerName) {
			t.Errorf("client error = %v, want ErrNoServerName", r.ClientErr)
		}
	})
	t.Run("resumed after the allow-list changed", func(t *testing.T) {
		srv := ca.ServerConfig(t, ca.Server(t, "localhost", "spiffe://example.org/api"))
		cfg := src.TLSConfig().Clone()
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		ok(t, handshake(t, srv, cfg))
		r := handshake(t, srv, cfg)
		ok(t, r)
		if !r.Client.DidResume {
			t.Fatal("the second handshake did not resume")
		}
		if err := src.SetAllowedServers(tlsx.Identities{URI: []string{"spiffe://example.org/other"}}); err != nil {
			t.Fatal(err)
		}
		r = handshake(t, srv, cfg)
		var e *tlsx.IdentityError
		if !errors.As(r.ClientErr, &e) || !e.Resumed {
			t.Errorf("client error = %v, want an *IdentityError on a resumed session", r.ClientErr)
		}
	})
}

// A source explains with its own CAs: a server whose CA was regenerated
// is recognised as such.
func TestClientSourceExplain(t *testing.T) {
	ca := tlstest.NewCA(t)
	regen := ca.Regenerate(t)
	src := newClient(t, tlsx.ClientConfig{CAFile: regen.CertFile})
	r := handshake(t, ca.ServerConfig(t, nil), src.TLSConfig())
	if he := src.Explain(r.ClientErr); he.Kind != tlsx.KindRegeneratedCA {
		t.Errorf("Explain(%v) = %v, want %s", r.ClientErr, he, tlsx.KindRegeneratedCA)
	}
	if he := tlsx.Explain(r.ClientErr); he.Kind != tlsx.KindUnknownAuthority {
		t.Errorf("without the CAs: Explain(%v) = %v, want %s", r.ClientErr, he, tlsx.KindUnknownAuthority)
	}
}
