package tlstest_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// A client trusting ca.Pool verifies ca's server certificate by each of
// its names, and sees the chain end at ca's root.
func TestServerVerified(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t, "localhost", "127.0.0.1", "api.example")
	for _, name := range []string{"", "localhost", "127.0.0.1", "api.example"} {
		t.Run("name="+name, func(t *testing.T) {
			cli := ca.ClientConfig(nil)
			cli.ServerName = name // empty: the address dialled
			r := handshake(t, ca.ServerConfig(t, srv), cli)
			if r.ClientErr != nil || r.ServerErr != nil {
				t.Fatalf("handshake: client %v, server %v", r.ClientErr, r.ServerErr)
			}
			chain := r.Client.VerifiedChains[0]
			if !chain[0].Equal(srv.Certificate) || !chain[len(chain)-1].Equal(ca.Certificate) {
				t.Errorf("verified chain %v, want %v ... %v", subjects(chain), srv.Certificate.Subject, ca.Certificate.Subject)
			}
		})
	}
}

// A server certificate issued without names covers every loopback name.
func TestServerDefaultNames(t *testing.T) {
	srv := tlstest.NewCA(t).Server(t)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := srv.Certificate.VerifyHostname(name); err != nil {
			t.Errorf("VerifyHostname(%q): %v", name, err)
		}
	}
}

// A name the certificate does not carry fails with x509.HostnameError.
func TestServerWrongName(t *testing.T) {
	ca := tlstest.NewCA(t)
	cli := ca.ClientConfig(nil)
	cli.ServerName = "other.example"
	r := handshake(t, ca.ServerConfig(t, ca.Server(t, "localhost", "127.0.0.1")), cli)
	var he x509.HostnameError
	if !errors.As(r.ClientErr, &he) || he.Host != "other.example" {
		t.Fatalf("client error %v, want x509.HostnameError for other.example", r.ClientErr)
	}
}

// A client that trusts another CA rejects the server as unknown.
func TestServerOtherCA(t *testing.T) {
	ca, other := tlstest.NewCA(t), tlstest.NewCA(t)
	r := handshake(t, ca.ServerConfig(t, nil), other.ClientConfig(nil))
	var ue x509.UnknownAuthorityError
	if !errors.As(r.ClientErr, &ue) {
		t.Fatalf("client error %v, want x509.UnknownAuthorityError", r.ClientErr)
	}
}

// An mTLS server accepts a client certificate from its CA and sees the
// client's URI SAN in the verified chain; it refuses one from another
// CA, and a client with none.
func TestMTLS(t *testing.T) {
	ca := tlstest.NewCA(t)
	const id = "spiffe://example.org/ns/a/sa/b"

	t.Run("accepted", func(t *testing.T) {
		cli := ca.Client(t, id, "client.example")
		r := handshake(t, ca.MTLSServerConfig(t, nil), ca.ClientConfig(cli))
		if r.ClientErr != nil || r.ServerErr != nil {
			t.Fatalf("handshake: client %v, server %v", r.ClientErr, r.ServerErr)
		}
		if len(r.Server.VerifiedChains) == 0 {
			t.Fatal("server verified no client chain")
		}
		leaf := r.Server.VerifiedChains[0][0]
		if len(leaf.URIs) != 1 || leaf.URIs[0].String() != id {
			t.Errorf("client URIs %v, want [%s]", leaf.URIs, id)
		}
		if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "client.example" {
			t.Errorf("client DNS names %v, want [client.example]", leaf.DNSNames)
		}
	})
	t.Run("other CA", func(t *testing.T) {
		cli := tlstest.NewCA(t).Client(t, id)
		cfg := ca.ClientConfig(cli)
		// A Go client sends only a certificate from a CA the server
		// names; send this one regardless, as other clients do.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cli.TLS, nil
		}
		r := handshake(t, ca.MTLSServerConfig(t, nil), cfg)
		var ue x509.UnknownAuthorityError
		if !errors.As(r.ServerErr, &ue) {
			t.Fatalf("server error %v, want x509.UnknownAuthorityError", r.ServerErr)
		}
		if r.ClientErr == nil {
			t.Error("client saw no failure")
		}
	})
	t.Run("other CA, not sent", func(t *testing.T) {
		cli := tlstest.NewCA(t).Client(t, id)
		r := handshake(t, ca.MTLSServerConfig(t, nil), ca.ClientConfig(cli))
		if r.ServerErr == nil || r.ClientErr == nil || len(r.Server.PeerCertificates) != 0 {
			t.Fatalf("handshake: client %v, server %v, %d peer certificates; want both to fail with none sent",
				r.ClientErr, r.ServerErr, len(r.Server.PeerCertificates))
		}
	})
	t.Run("no certificate", func(t *testing.T) {
		r := handshake(t, ca.MTLSServerConfig(t, nil), ca.ClientConfig(nil))
		if r.ServerErr == nil || r.ClientErr == nil {
			t.Fatalf("handshake: client %v, server %v; want both to fail", r.ClientErr, r.ServerErr)
		}
	})
	t.Run("server certificate as client", func(t *testing.T) {
		// The usage httptest's and generate_cert.go's certificates lack.
		cli := ca.Server(t)
		r := handshake(t, ca.MTLSServerConfig(t, nil), ca.ClientConfig(cli))
		wantInvalid(t, r.ServerErr, x509.IncompatibleUsage)
	})
}

// ServerConfig asks for no client certificate; ClientConfig never skips
// verification and presents exactly the certificate given.
func TestConfigFields(t *testing.T) {
	ca := tlstest.NewCA(t)
	if cfg := ca.ServerConfig(t, nil); cfg.ClientAuth != tls.NoClientCert || len(cfg.Certificates) != 1 {
		t.Errorf("ServerConfig: ClientAuth %v, %d certificates", cfg.ClientAuth, len(cfg.Certificates))
	}
	cli := ca.Client(t)
	cfg := ca.ClientConfig(cli)
	if cfg.InsecureSkipVerify || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.Certificates[0].Leaf != cli.Certificate {
		t.Errorf("ClientConfig(cli): InsecureSkipVerify %v, RootCAs %v, %d certificates", cfg.InsecureSkipVerify, cfg.RootCAs, len(cfg.Certificates))
	}
	if cfg := ca.ClientConfig(nil); len(cfg.Certificates) != 0 {
		t.Errorf("ClientConfig(nil) presents %d certificates", len(cfg.Certificates))
	}
}

// wantInvalid fails t unless err holds an x509.CertificateInvalidError
// with reason.
func wantInvalid(t *testing.T, err error, reason x509.InvalidReason) {
	t.Helper()
	var ie x509.CertificateInvalidError
	if !errors.As(err, &ie) || ie.Reason != reason {
		t.Fatalf("error %v, want x509.CertificateInvalidError with reason %d", err, reason)
	}
}

func subjects(chain []*x509.Certificate) []string {
	var s []string
	for _, c := range chain {
		s = append(s, c.Subject.CommonName)
	}
	return s
}

// The In forms of the server configs issue a loopback certificate in the
// directory given and return errors instead of failing a test.
func TestServerConfigIn(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	plain, err := ca.ServerConfigIn(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := handshake(t, plain, ca.ClientConfig(nil)); r.ClientErr != nil || r.ServerErr != nil {
		t.Errorf("ServerConfigIn: handshake: client %v, server %v", r.ClientErr, r.ServerErr)
	}
	mtls, err := ca.MTLSServerConfigIn(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := handshake(t, mtls, ca.ClientConfig(ca.Client(t))); r.ClientErr != nil || r.ServerErr != nil {
		t.Errorf("MTLSServerConfigIn: handshake: client %v, server %v", r.ClientErr, r.ServerErr)
	}
	if r := handshake(t, mtls, ca.ClientConfig(nil)); r.ServerErr == nil {
		t.Error("MTLSServerConfigIn accepted a client without a certificate")
	}
	for name, f := range map[string]func(string, *tlstest.Cert) (*tls.Config, error){
		"ServerConfigIn":     ca.Issuing(tlstest.NotCA).ServerConfigIn,
		"MTLSServerConfigIn": ca.Issuing(tlstest.NotCA).MTLSServerConfigIn,
	} {
		if _, err := f(dir, nil); err == nil {
			t.Errorf("%s issued a certificate with a flaw that does not apply", name)
		}
	}
}
