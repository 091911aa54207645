package tlstest_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"slices"
	"testing"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// A root is a self-signed P-256 CA that may sign certificates and CRLs,
// with a key ID, a serial of at most 128 bits and a unique name.
func TestNewCA(t *testing.T) {
	ca, other := tlstest.NewCA(t), tlstest.NewCA(t)
	c := ca.Certificate
	if !c.BasicConstraintsValid || !c.IsCA {
		t.Errorf("BasicConstraintsValid %v, IsCA %v; want both", c.BasicConstraintsValid, c.IsCA)
	}
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign; c.KeyUsage != want {
		t.Errorf("KeyUsage %b, want %b", c.KeyUsage, want)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", c.PublicKey)
	}
	if bytes.Equal(c.RawSubject, other.Certificate.RawSubject) {
		t.Errorf("two CAs share the subject %v", c.Subject)
	}
	checkSerialAndKeyID(t, c, other.Certificate)
}

// A server certificate carries serverAuth and its names sorted into IP
// and DNS SANs; a client certificate carries clientAuth and URI SANs.
func TestLeafFields(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t, "localhost", "127.0.0.1", "::1", "*.example.com")
	cli := ca.Client(t, "spiffe://example.org/ns/a/sa/b", "client.example", "10.0.0.1")

	tests := []struct {
		name  string
		cert  *x509.Certificate
		usage x509.ExtKeyUsage
		dns   []string
		ips   []string
		uris  []string
	}{
		{"server", srv.Certificate, x509.ExtKeyUsageServerAuth,
			[]string{"localhost", "*.example.com"}, []string{"127.0.0.1", "::1"}, nil},
		{"client", cli.Certificate, x509.ExtKeyUsageClientAuth,
			[]string{"client.example"}, []string{"10.0.0.1"}, []string{"spiffe://example.org/ns/a/sa/b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cert
			if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{tc.usage}) {
				t.Errorf("ExtKeyUsage %v, want [%v]", c.ExtKeyUsage, tc.usage)
			}
			if c.KeyUsage != x509.KeyUsageDigitalSignature || c.IsCA {
				t.Errorf("KeyUsage %b, IsCA %v; want digitalSignature only, not a CA", c.KeyUsage, c.IsCA)
			}
			if !slices.Equal(c.DNSNames, tc.dns) {
				t.Errorf("DNSNames %q, want %q", c.DNSNames, tc.dns)
			}
			if got := stringsOf(c.IPAddresses); !slices.Equal(got, tc.ips) {
				t.Errorf("IPAddresses %q, want %q", got, tc.ips)
			}
			if got := stringsOf(c.URIs); !slices.Equal(got, tc.uris) {
				t.Errorf("URIs %q, want %q", got, tc.uris)
			}
			if !bytes.Equal(c.AuthorityKeyId, ca.Certificate.SubjectKeyId) {
				t.Errorf("AuthorityKeyId %x, want the CA's %x", c.AuthorityKeyId, ca.Certificate.SubjectKeyId)
			}
			checkSerialAndKeyID(t, c, ca.Certificate)
		})
	}
}

// WrongUsage swaps the TLS usage of a leaf and gives a CA none.
func TestWrongUsageFields(t *testing.T) {
	ca := tlstest.NewCA(t).Issuing(tlstest.WrongUsage)
	tests := []struct {
		name string
		cert *x509.Certificate
		want x509.ExtKeyUsage
	}{
		{"server", ca.Server(t).Certificate, x509.ExtKeyUsageClientAuth},
		{"client", ca.Client(t).Certificate, x509.ExtKeyUsageServerAuth},
		{"intermediate", ca.Intermediate(t).Certificate, x509.ExtKeyUsageCodeSigning},
		{"root", tlstest.NewCA(t, tlstest.WrongUsage).Certificate, x509.ExtKeyUsageCodeSigning},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Equal(tc.cert.ExtKeyUsage, []x509.ExtKeyUsage{tc.want}) {
				t.Errorf("ExtKeyUsage %v, want [%v]", tc.cert.ExtKeyUsage, tc.want)
			}
		})
	}
}

// Issuing leaves its receiver sound.
func TestIssuingCopies(t *testing.T) {
	ca := tlstest.NewCA(t)
	flawed := ca.Issuing(tlstest.Expired)
	if _, err := flawed.Server(t).Certificate.Verify(x509.VerifyOptions{Roots: ca.Pool()}); err == nil {
		t.Error("Issuing(Expired) issued a valid certificate")
	}
	if _, err := ca.Server(t).Certificate.Verify(x509.VerifyOptions{Roots: ca.Pool()}); err != nil {
		t.Errorf("ca issued a flawed certificate after Issuing(Expired): %v", err)
	}
}

// Leaves of an intermediate carry it in their chain, verify against the
// root alone, and complete an mTLS handshake in both directions; so do
// leaves two levels down.
func TestIntermediateChain(t *testing.T) {
	root := tlstest.NewCA(t)
	mid := root.Intermediate(t)
	low := mid.Intermediate(t)
	if !mid.Certificate.IsCA || !bytes.Equal(mid.Certificate.RawIssuer, root.Certificate.RawSubject) {
		t.Fatalf("intermediate IsCA %v, issuer %v", mid.Certificate.IsCA, mid.Certificate.Issuer)
	}
	tests := []struct {
		name  string
		ca    *tlstest.CA
		chain []*x509.Certificate // above the leaf, excluding the root
	}{
		{"root", root, nil},
		{"intermediate", mid, []*x509.Certificate{mid.Certificate}},
		{"two levels", low, []*x509.Certificate{low.Certificate, mid.Certificate}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := tc.ca.Server(t), tc.ca.Client(t, "spiffe://example.org/x")
			for _, c := range []*tlstest.Cert{srv, cli} {
				if !slices.EqualFunc(c.Chain, tc.chain, (*x509.Certificate).Equal) || len(c.TLS.Certificate) != 1+len(tc.chain) {
					t.Fatalf("chain %v with %d DER certificates, want %v", subjects(c.Chain), len(c.TLS.Certificate), subjects(tc.chain))
				}
			}
			if !tc.ca.Pool().Equal(root.Pool()) {
				t.Error("Pool does not hold the root alone")
			}
			r := handshake(t, tc.ca.MTLSServerConfig(t, srv), tc.ca.ClientConfig(cli))
			if r.ClientErr != nil || r.ServerErr != nil {
				t.Fatalf("handshake: client %v, server %v", r.ClientErr, r.ServerErr)
			}
			want := append(append([]*x509.Certificate{srv.Certificate}, tc.chain...), root.Certificate)
			if got := r.Client.VerifiedChains[0]; !slices.EqualFunc(got, want, (*x509.Certificate).Equal) {
				t.Errorf("client verified %v, want %v", subjects(got), subjects(want))
			}
			want[0] = cli.Certificate
			if got := r.Server.VerifiedChains[0]; !slices.EqualFunc(got, want, (*x509.Certificate).Equal) {
				t.Errorf("server verified %v, want %v", subjects(got), subjects(want))
			}
		})
	}
}

// checkSerialAndKeyID checks c's serial number and subject key ID, and
// that they differ from other's.
func checkSerialAndKeyID(t *testing.T, c, other *x509.Certificate) {
	t.Helper()
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
		t.Errorf("serial number %x: want positive, at most 128 bits", c.SerialNumber)
	}
	if c.SerialNumber.Cmp(other.SerialNumber) == 0 {
		t.Errorf("serial number %x repeated", c.SerialNumber)
	}
	if len(c.SubjectKeyId) != 20 || bytes.Equal(c.SubjectKeyId, other.SubjectKeyId) {
		t.Errorf("SubjectKeyId %x: want 20 bytes, unlike %x", c.SubjectKeyId, other.SubjectKeyId)
	}
}

func stringsOf[T interface{ String() string }](vs []T) []string {
	var s []string
	for _, v := range vs {
		s = append(s, v.String())
	}
	return s
}
