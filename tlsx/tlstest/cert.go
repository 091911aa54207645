package tlstest

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// Cert is a leaf certificate issued by a [CA], with its key, in the forms
// that tests and configs consume.
type Cert struct {
	// Certificate is the leaf certificate.
	Certificate *x509.Certificate

	// Chain holds the intermediates between Certificate and the root,
	// nearest first; it is empty for a certificate issued by a root. Put
	// them in [x509.VerifyOptions.Intermediates] to verify Certificate by
	// hand.
	Chain []*x509.Certificate

	// Key is the private key, an *ecdsa.PrivateKey on P-256. It matches
	// Certificate unless the certificate was issued with [WrongKey].
	Key crypto.Signer

	// TLS is the certificate as crypto/tls presents it: the leaf, then
	// Chain, with Key and Leaf set.
	TLS tls.Certificate

	// CertFile is the path of a PEM file holding the leaf, then Chain: the
	// file a server or client names as its certificate.
	CertFile string

	// KeyFile is the path of a PEM file holding Key in PKCS#8, mode 0600.
	KeyFile string
}

// Server issues a server certificate: extended key usage serverAuth, key
// usage digitalSignature, an ECDSA P-256 key, a random 128-bit serial
// number and a validity from an hour ago to a day from now. Each name
// becomes a subject alternative name: an IP address an IP SAN, a name
// with a colon a URI SAN, anything else a DNS SAN. Without names the
// certificate covers loopback: localhost, 127.0.0.1 and ::1.
func (ca *CA) Server(t TB, names ...string) *Cert {
	t.Helper()
	v, err := ca.ServerIn(t.TempDir(), names...)
	failOn(t, err)
	return v
}

// ServerIn is [CA.Server] writing its files in dir, as [NewCAIn] does.
func (ca *CA) ServerIn(dir string, names ...string) (*Cert, error) {
	if len(names) == 0 {
		names = defaultServerNames
	}
	return ca.leaf(dir, kindServer, names)
}

// Client issues a client certificate, as [CA.Server] does a server one but
// with extended key usage clientAuth, which a server that verifies
// client certificates requires. Names are read the same way; a SPIFFE
// ID such as spiffe://example.org/ns/a/sa/b becomes a URI SAN. Without
// names the certificate has no SAN; Go's verifier does not need one for a
// client.
func (ca *CA) Client(t TB, names ...string) *Cert {
	t.Helper()
	v, err := ca.ClientIn(t.TempDir(), names...)
	failOn(t, err)
	return v
}

// ClientIn is [CA.Client] writing its files in dir, as [NewCAIn] does.
func (ca *CA) ClientIn(dir string, names ...string) (*Cert, error) {
	return ca.leaf(dir, kindClient, names)
}

// leaf issues a server or client certificate for names with the flaws set
// by [CA.Issuing], and writes its files in dir.
func (ca *CA) leaf(dir string, k kind, names []string) (*Cert, error) {
	fl, err := newFlaws(k, ca.issue)
	if err != nil {
		return nil, fmt.Errorf("tlstest: %v certificate: %w", k, err)
	}
	tmpl, err := leafTemplate(k, names, fl)
	if err != nil {
		return nil, fmt.Errorf("tlstest: %v certificate: %w", k, err)
	}
	is, err := sign(tmpl, fl, ca.Certificate, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("tlstest: issuing %v certificate: %w", k, err)
	}
	var key crypto.Signer = is.key
	if fl.wrongKey {
		if key, err = newKey(); err != nil {
			return nil, fmt.Errorf("tlstest: generating the wrong key: %w", err)
		}
	}
	c := &Cert{
		Certificate: is.cert,
		Chain:       append([]*x509.Certificate(nil), ca.chain...),
		Key:         key,
		TLS: tls.Certificate{
			Certificate: [][]byte{is.cert.Raw},
			PrivateKey:  key,
			Leaf:        is.cert,
		},
	}
	for _, ic := range c.Chain {
		c.TLS.Certificate = append(c.TLS.Certificate, ic.Raw)
	}
	prefix := "server"
	if k == kindClient {
		prefix = "client"
	}
	if c.CertFile, c.KeyFile, err = writeFiles(dir, prefix, append([]*x509.Certificate{is.cert}, c.Chain...), key); err != nil {
		return nil, err
	}
	return c, nil
}
