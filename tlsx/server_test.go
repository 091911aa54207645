package tlsx_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"testing"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// The defaults, observed on the wire: TLS 1.2 minimum, no CBC-SHA1
// suites, ALPN h2 first, and crypto/tls's post-quantum key exchange.
func TestServerDefaults(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	src := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile})

	cli := ca.ClientConfig(nil)
	cli.NextProtos = []string{"http/1.1", "h2"}
	r := handshake(t, src.TLSConfig(), cli)
	ok(t, r)
	if r.Client.NegotiatedProtocol != "h2" {
		t.Errorf("ALPN = %q, want h2", r.Client.NegotiatedProtocol)
	}
	if r.Client.Version != tls.VersionTLS13 {
		t.Errorf("version = %x, want TLS 1.3", r.Client.Version)
	}
	if r.Client.CurveID != tls.X25519MLKEM768 {
		t.Errorf("key exchange = %v, want X25519MLKEM768", r.Client.CurveID)
	}

	old := ca.ClientConfig(nil)
	old.MinVersion, old.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	if r := handshake(t, src.TLSConfig(), old); r.ServerErr == nil {
		t.Error("a TLS 1.1 client was accepted")
	}

	cbc := ca.ClientConfig(nil)
	cbc.MaxVersion = tls.VersionTLS12
	cbc.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}
	if r := handshake(t, src.TLSConfig(), cbc); r.ServerErr == nil {
		t.Error("a client offering only CBC-SHA1 suites was accepted")
	}
	gcm := ca.ClientConfig(nil)
	gcm.MaxVersion = tls.VersionTLS12
	r = handshake(t, src.TLSConfig(), gcm)
	ok(t, r)
	if r.Client.Version != tls.VersionTLS12 {
		t.Errorf("version = %x, want TLS 1.2", r.Client.Version)
	}

	c := src.TLSConfig()
	if c.CurvePreferences != nil {
		t.Errorf("CurvePreferences = %v, want crypto/tls's default", c.CurvePreferences)
	}
	if !slices.Equal(c.NextProtos, []string{"h2", "http/1.1"}) {
		t.Errorf("NextProtos = %q", c.NextProtos)
	}
}

func TestServerMinVersion13(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	src := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, MinVersion: "1.3"})
	cli := ca.ClientConfig(nil)
	cli.MaxVersion = tls.VersionTLS12
	if r := handshake(t, src.TLSConfig(), cli); r.ServerErr == nil {
		t.Error("a TLS 1.2 client was accepted by a TLS 1.3 server")
	}
	ok(t, handshake(t, src.TLSConfig(), ca.ClientConfig(nil)))
}

// With client_ca_file, a client certificate is required and verified.
func TestServerRequiresClientCertificate(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	src := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: ca.CertFile})

	ok(t, handshake(t, src.TLSConfig(), ca.ClientConfig(ca.Client(t))))
	if r := handshake(t, src.TLSConfig(), ca.ClientConfig(nil)); r.ServerErr == nil {
		t.Error("a client without certificate was accepted")
	}
	// A certificate from another CA, presented whatever the server asks.
	foreign := tlstest.NewCA(t).Client(t)
	cli := ca.ClientConfig(nil)
	cli.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign.TLS, nil }
	r := handshake(t, src.TLSConfig(), cli)
	var unknown x509.UnknownAuthorityError
	if !errors.As(r.ServerErr, &unknown) {
		t.Errorf("server error = %v, want x509.UnknownAuthorityError", r.ServerErr)
	}
}

func TestAllowedClients(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	allowed := tlsx.Identities{
		DNS:         []string{"Batch.Example.org"},
		URI:         []string{"spiffe://example.org/ns/a/sa/api"},
		URIPrefixes: []string{"spiffe://example.org/ns/prod/"},
	}
	src := newServer(t, tlsx.ServerConfig{
		CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: ca.CertFile, AllowedClients: allowed,
	})
	tests := []struct {
		name  string
		names []string
		ok    bool
	}{
		{"exact URI", []string{"spiffe://example.org/ns/a/sa/api"}, true},
		{"URI under the prefix", []string{"spiffe://example.org/ns/prod/sa/web"}, true},
		{"DNS name in another case", []string{"batch.example.org"}, true},
		{"second SAN matches", []string{"other.example.org", "spiffe://example.org/ns/a/sa/api"}, true},
		{"URI extending an exact entry", []string{"spiffe://example.org/ns/a/sa/api2"}, false},
		{"sibling of the prefix", []string{"spiffe://example.org/ns/prod-debug/sa/web"}, false},
		{"other trust domain", []string{"spiffe://evil.example/ns/prod/sa/web"}, false},
		{"DNS subdomain", []string{"x.batch.example.org"}, false},
		{"no SAN", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := handshake(t, src.TLSConfig(), ca.ClientConfig(ca.Client(t, tc.names...)))
			var idErr *tlsx.IdentityError
			switch {
			case tc.ok:
				ok(t, r)
			case !errors.As(r.ServerErr, &idErr) || idErr.Side != "client":
				t.Errorf("server error = %v, want *tlsx.IdentityError", r.ServerErr)
			case r.ClientErr == nil:
				t.Error("the client did not see the refusal")
			}
		})
	}
}

// The allow-list applies to resumed sessions: a client that resumed a
// session once is refused when it resumes again after the list changed.
// VerifyPeerCertificate, which crypto/tls skips on resumption, would let
// it in.
func TestAllowListCheckedOnResumption(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			ca := tlstest.NewCA(t)
			srv := ca.Server(t)
			src := newServer(t, tlsx.ServerConfig{
				CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: ca.CertFile,
				AllowedClients: tlsx.Identities{URI: []string{"spiffe://example.org/a"}},
			})
			cli := ca.ClientConfig(ca.Client(t, "spiffe://example.org/a"))
			cli.MaxVersion = v
			cli.ClientSessionCache = tls.NewLRUClientSessionCache(4)

			first := handshake(t, src.TLSConfig(), cli)
			ok(t, first)
			if first.Client.DidResume {
				t.Fatal("the first handshake resumed")
			}
			second := handshake(t, src.TLSConfig(), cli)
			ok(t, second)
			if !second.Client.DidResume {
				t.Fatal("the second handshake did not resume; the test would prove nothing")
			}

			if err := src.SetAllowedClients(tlsx.Identities{URI: []string{"spiffe://example.org/b"}}); err != nil {
				t.Fatal(err)
			}
			third := handshake(t, src.TLSConfig(), cli)
			var idErr *tlsx.IdentityError
			if !errors.As(third.ServerErr, &idErr) {
				t.Fatalf("server error = %v, want *tlsx.IdentityError", third.ServerErr)
			}
			if !idErr.Resumed {
				t.Error("the refused handshake was not a resumption")
			}
			if third.ClientErr == nil {
				t.Error("the client did not see the refusal")
			}
		})
	}
}

func TestSetAllowedClientsValidates(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	plain := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile})
	if got := rules(plain.SetAllowedClients(tlsx.Identities{DNS: []string{"a.example"}})); !slices.Equal(got, []string{"tls.allowed_clients client-ca-required"}) {
		t.Errorf("SetAllowedClients without CA = %q", got)
	}
	mtls := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: ca.CertFile})
	if got := rules(mtls.SetAllowedClients(tlsx.Identities{URIPrefixes: []string{"spiffe://example.org"}})); !slices.Equal(got, []string{"tls.allowed_clients.uri_prefixes[0] identity"}) {
		t.Errorf("SetAllowedClients(bad prefix) = %q", got)
	}
}

// A session resumed after the client CA file dropped the client's CA is
// refused: the new pool applies to resumptions too (the case of
// CVE-2025-68121, where GetConfigForClient changed ClientCAs between the
// first handshake and the resumption).
func TestCARotationAppliesToResumption(t *testing.T) {
	oldCA, newCA := tlstest.NewCA(t), tlstest.NewCA(t)
	srv := oldCA.Server(t)
	v := tlstest.NewSecretVolume(t, map[string]string{"ca.crt": oldCA.CertFile})
	src := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: v.Path("ca.crt"), ReloadInterval: -1})
	cli := oldCA.ClientConfig(oldCA.Client(t))
	cli.ClientSessionCache = tls.NewLRUClientSessionCache(4)

	ok(t, handshake(t, src.TLSConfig(), cli))
	r := handshake(t, src.TLSConfig(), cli)
	ok(t, r)
	if !r.Client.DidResume {
		t.Fatal("the second handshake did not resume; the test would prove nothing")
	}
	v.Update(t, map[string]string{"ca.crt": newCA.CertFile})
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	if r := handshake(t, src.TLSConfig(), cli); r.ServerErr == nil {
		t.Error("a client of the dropped CA resumed its session")
	}
}
