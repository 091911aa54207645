package tlstest_test

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// Each flaw, on each kind of certificate it applies to, makes a real
// handshake fail with the error Go's verifier documents for it, on the
// side that verifies the flawed certificate.
func TestFlawsInHandshake(t *testing.T) {
	type side int
	const (
		client side = iota // the client rejects the server's chain
		server             // the server rejects the client's chain
	)
	// Each case returns a server and a client config from a fresh CA,
	// with the flaw where the case says.
	tests := []struct {
		name   string
		setup  func(t *testing.T) (srv, cli *tls.Config)
		side   side
		reason x509.InvalidReason
	}{
		{"server Expired", flawedServer(tlstest.Expired), client, x509.Expired},
		{"server NotYetValid", flawedServer(tlstest.NotYetValid), client, x509.Expired},
		{"server WrongUsage", flawedServer(tlstest.WrongUsage), client, x509.IncompatibleUsage},
		{"client Expired", flawedClient(tlstest.Expired), server, x509.Expired},
		{"client NotYetValid", flawedClient(tlstest.NotYetValid), server, x509.Expired},
		{"client WrongUsage", flawedClient(tlstest.WrongUsage), server, x509.IncompatibleUsage},
		{"intermediate Expired", flawedIntermediate(tlstest.Expired), client, x509.Expired},
		{"intermediate NotYetValid", flawedIntermediate(tlstest.NotYetValid), client, x509.Expired},
		{"intermediate WrongUsage", flawedIntermediate(tlstest.WrongUsage), client, x509.IncompatibleUsage},
		{"root Expired", flawedRoot(tlstest.Expired), client, x509.Expired},
		{"root NotYetValid", flawedRoot(tlstest.NotYetValid), client, x509.Expired},
		{"root WrongUsage", flawedRoot(tlstest.WrongUsage), client, x509.IncompatibleUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := tc.setup(t)
			r := handshake(t, srv, cli)
			err := []error{r.ClientErr, r.ServerErr}[tc.side]
			wantInvalid(t, err, tc.reason)
		})
	}
}

// An issuer without CA:TRUE, root or intermediate, cannot sign: Go drops
// it while building the chain, so the leaf's authority is unknown, and
// CheckSignatureFrom names the constraint.
func TestNotCA(t *testing.T) {
	tests := []struct {
		name   string
		issuer func(t *testing.T) (root, issuer *tlstest.CA)
	}{
		{"root", func(t *testing.T) (*tlstest.CA, *tlstest.CA) {
			ca := tlstest.NewCA(t, tlstest.NotCA)
			return ca, ca
		}},
		{"intermediate", func(t *testing.T) (*tlstest.CA, *tlstest.CA) {
			ca := tlstest.NewCA(t)
			return ca, ca.Issuing(tlstest.NotCA).Intermediate(t)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, issuer := tc.issuer(t)
			if !issuer.Certificate.BasicConstraintsValid || issuer.Certificate.IsCA {
				t.Fatalf("issuer BasicConstraintsValid %v, IsCA %v; want true, false",
					issuer.Certificate.BasicConstraintsValid, issuer.Certificate.IsCA)
			}
			srv := issuer.Server(t)
			r := handshake(t, issuer.ServerConfig(t, srv), root.ClientConfig(nil))
			var ue x509.UnknownAuthorityError
			if !errors.As(r.ClientErr, &ue) {
				t.Fatalf("client error %v, want x509.UnknownAuthorityError", r.ClientErr)
			}
			var ce x509.ConstraintViolationError
			if err := srv.Certificate.CheckSignatureFrom(issuer.Certificate); !errors.As(err, &ce) {
				t.Errorf("CheckSignatureFrom: %v, want x509.ConstraintViolationError", err)
			}
		})
	}
}

// A certificate with the wrong key cannot be loaded from its files, and a
// server presenting it fails the handshake.
func TestWrongKey(t *testing.T) {
	ca := tlstest.NewCA(t)
	for _, c := range []*tlstest.Cert{ca.Issuing(tlstest.WrongKey).Server(t), ca.Issuing(tlstest.WrongKey).Client(t)} {
		pub, ok := c.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok || pub.Equal(c.Certificate.PublicKey) {
			t.Errorf("%s: key matches the certificate", c.Certificate.ExtKeyUsage)
		}
		if _, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile); err == nil {
			t.Errorf("%s: LoadX509KeyPair accepted a mismatched key", c.Certificate.ExtKeyUsage)
		}
	}
	r := handshake(t, ca.ServerConfig(t, ca.Issuing(tlstest.WrongKey).Server(t)), ca.ClientConfig(nil))
	if r.ClientErr == nil || r.ServerErr == nil {
		t.Fatalf("handshake: client %v, server %v; want both to fail", r.ClientErr, r.ServerErr)
	}
}

// Flawed validity lies wholly on one side of now; a sound one spans it.
func TestFlawValidity(t *testing.T) {
	ca := tlstest.NewCA(t)
	now := time.Now()
	tests := []struct {
		name string
		cert *x509.Certificate
		ok   func(c *x509.Certificate) bool
	}{
		{"sound", ca.Server(t).Certificate, func(c *x509.Certificate) bool {
			return c.NotBefore.Before(now) && c.NotAfter.After(now)
		}},
		{"Expired", ca.Issuing(tlstest.Expired).Server(t).Certificate, func(c *x509.Certificate) bool {
			return c.NotBefore.Before(c.NotAfter) && c.NotAfter.Before(now)
		}},
		{"NotYetValid", ca.Issuing(tlstest.NotYetValid).Server(t).Certificate, func(c *x509.Certificate) bool {
			return c.NotBefore.After(now) && c.NotBefore.Before(c.NotAfter)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok(tc.cert) {
				t.Errorf("validity %v .. %v relative to %v", tc.cert.NotBefore, tc.cert.NotAfter, now)
			}
		})
	}
}

// A regenerated CA has its predecessor's name but not its key: a client
// trusting the new root rejects the old root's server as unknown.
func TestRegenerate(t *testing.T) {
	old := tlstest.NewCA(t)
	regen := old.Regenerate(t)
	if !bytes.Equal(regen.Certificate.RawSubject, old.Certificate.RawSubject) {
		t.Fatalf("subject %v, want %v", regen.Certificate.Subject, old.Certificate.Subject)
	}
	if bytes.Equal(regen.Certificate.SubjectKeyId, old.Certificate.SubjectKeyId) {
		t.Fatal("regenerated CA has the old key")
	}
	r := handshake(t, old.ServerConfig(t, nil), regen.ClientConfig(nil))
	var ue x509.UnknownAuthorityError
	if !errors.As(r.ClientErr, &ue) {
		t.Fatalf("client error %v, want x509.UnknownAuthorityError", r.ClientErr)
	}
	if r := handshake(t, regen.ServerConfig(t, nil), regen.ClientConfig(nil)); r.ClientErr != nil {
		t.Fatalf("regenerated CA's own server: %v", r.ClientErr)
	}
}

// A regenerated intermediate keeps its name and its parent.
func TestRegenerateIntermediate(t *testing.T) {
	root := tlstest.NewCA(t)
	mid := root.Intermediate(t)
	regen := mid.Regenerate(t)
	if !bytes.Equal(regen.Certificate.RawSubject, mid.Certificate.RawSubject) ||
		!bytes.Equal(regen.Certificate.RawIssuer, root.Certificate.RawSubject) {
		t.Fatalf("subject %v issued by %v, want %v issued by %v",
			regen.Certificate.Subject, regen.Certificate.Issuer, mid.Certificate.Subject, root.Certificate.Subject)
	}
	if err := regen.Certificate.CheckSignatureFrom(root.Certificate); err != nil {
		t.Fatalf("regenerated intermediate not signed by the root: %v", err)
	}
}

func flawedServer(f tlstest.Flaw) func(t *testing.T) (srv, cli *tls.Config) {
	return func(t *testing.T) (*tls.Config, *tls.Config) {
		ca := tlstest.NewCA(t)
		return ca.ServerConfig(t, ca.Issuing(f).Server(t)), ca.ClientConfig(nil)
	}
}

func flawedClient(f tlstest.Flaw) func(t *testing.T) (srv, cli *tls.Config) {
	return func(t *testing.T) (*tls.Config, *tls.Config) {
		ca := tlstest.NewCA(t)
		return ca.MTLSServerConfig(t, nil), ca.ClientConfig(ca.Issuing(f).Client(t))
	}
}

func flawedIntermediate(f tlstest.Flaw) func(t *testing.T) (srv, cli *tls.Config) {
	return func(t *testing.T) (*tls.Config, *tls.Config) {
		ca := tlstest.NewCA(t)
		mid := ca.Issuing(f).Intermediate(t)
		return mid.ServerConfig(t, nil), ca.ClientConfig(nil)
	}
}

func flawedRoot(f tlstest.Flaw) func(t *testing.T) (srv, cli *tls.Config) {
	return func(t *testing.T) (*tls.Config, *tls.Config) {
		ca := tlstest.NewCA(t, f)
		return ca.ServerConfig(t, nil), ca.ClientConfig(nil)
	}
}
