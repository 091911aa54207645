package tlstest

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
)

// CA is a certificate authority of an in-memory test PKI: a root made by
// [NewCA] or an intermediate made by [CA.Intermediate]. It issues server
// and client certificates and further intermediates, and builds
// [tls.Config] values that trust its root.
//
// A CA does not change after it is made, so it is safe for concurrent
// use; [CA.Issuing] returns a new value instead of modifying the receiver.
type CA struct {
	// Certificate is the CA's certificate: self-signed for a root, signed
	// by its parent for an intermediate.
	Certificate *x509.Certificate

	// Key is the CA's private key, an *ecdsa.PrivateKey on P-256.
	Key crypto.Signer

	// CertFile is the path of a PEM file holding Certificate alone. For a
	// root it is the trust bundle a config's CA file names; an
	// intermediate's file does not include its root.
	CertFile string

	// KeyFile is the path of a PEM file holding Key in PKCS#8, mode 0600.
	KeyFile string

	root   *x509.Certificate   // the trust anchor of the hierarchy
	chain  []*x509.Certificate // this CA, then the intermediates above it; empty for a root
	parent *CA                 // the CA that issued this one; nil for a root
	flaws  flaws               // the flaws of Certificate itself
	issue  []Flaw              // the flaws of what this CA issues next
}

// NewCA returns a new self-signed root CA: an ECDSA P-256 key, a random
// 128-bit serial number, CA:TRUE, key usage certSign and cRLSign, and a
// validity from an hour ago to a day from now. Its subject names a random
// serial, so two CAs never share a name unless [CA.Regenerate] makes them.
// With flaws, the root itself carries them (see [Flaw]); [WrongKey] is
// refused.
func NewCA(t TB, flaws ...Flaw) *CA {
	t.Helper()
	v, err := NewCAIn(t.TempDir(), flaws...)
	failOn(t, err)
	return v
}

// NewCAIn is [NewCA] for code outside tests: it writes the CA's files in
// dir, which must exist and which the caller removes, and returns what
// NewCA would fail the test with.
func NewCAIn(dir string, flaws ...Flaw) (*CA, error) {
	fl, err := newFlaws(kindRoot, flaws)
	if err != nil {
		return nil, fmt.Errorf("tlstest: NewCA: %w", err)
	}
	return newCA(dir, nil, kindRoot, pkix.Name{}, fl)
}

// Intermediate returns a new CA signed by ca, with the same key type,
// serial and validity rules as [NewCA]. Certificates it issues carry it
// (and any intermediates above it) in their chain, and [CA.Pool] still
// returns the root, so it is used exactly like ca. Flaws set with
// [CA.Issuing] apply to the intermediate itself, not to what it issues.
func (ca *CA) Intermediate(t TB) *CA {
	t.Helper()
	v, err := ca.IntermediateIn(t.TempDir())
	failOn(t, err)
	return v
}

// IntermediateIn is [CA.Intermediate] writing its files in dir, as
// [NewCAIn] does.
func (ca *CA) IntermediateIn(dir string) (*CA, error) {
	fl, err := newFlaws(kindIntermediate, ca.issue)
	if err != nil {
		return nil, fmt.Errorf("tlstest: Intermediate: %w", err)
	}
	return newCA(dir, ca, kindIntermediate, pkix.Name{}, fl)
}

// Regenerate returns a new CA with the same subject name as ca and the
// same flaws, but a new key and serial number, signed by the same parent
// when ca is an intermediate. It reproduces the "regenerated CA" failure:
// a peer that trusts only the new root rejects certificates issued by the
// old one with [x509.UnknownAuthorityError], although the issuer names
// match.
func (ca *CA) Regenerate(t TB) *CA {
	t.Helper()
	v, err := ca.RegenerateIn(t.TempDir())
	failOn(t, err)
	return v
}

// RegenerateIn is [CA.Regenerate] writing its files in dir, as [NewCAIn]
// does.
func (ca *CA) RegenerateIn(dir string) (*CA, error) {
	k := kindRoot
	if ca.parent != nil {
		k = kindIntermediate
	}
	return newCA(dir, ca.parent, k, ca.Certificate.Subject, ca.flaws)
}

// Issuing returns a copy of ca that gives every certificate it issues,
// server, client or intermediate, the given flaws, for negative tests:
//
//	expired := ca.Issuing(tlstest.Expired).Server(t)
//
// ca itself is unchanged. Which flaws apply to what is on each [Flaw];
// a flaw that does not apply fails the test when the certificate is
// issued.
func (ca *CA) Issuing(flaws ...Flaw) *CA {
	c := *ca
	c.issue = append([]Flaw(nil), flaws...)
	return &c
}

// Pool returns a new pool holding the root of ca's hierarchy (ca itself
// for a root), for RootCAs or ClientCAs. The caller may add to it.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.root)
	return p
}

// newCA issues a CA certificate under parent (nil: self-signed) and writes
// its files in dir. A zero subject gets a fresh, unique name.
func newCA(dir string, parent *CA, k kind, subject pkix.Name, fl flaws) (*CA, error) {
	if subject.CommonName == "" {
		serial, err := newSerial()
		if err != nil {
			return nil, fmt.Errorf("tlstest: naming %v: %w", k, err)
		}
		subject = pkix.Name{
			Organization: []string{organization},
			CommonName:   fmt.Sprintf("tlstest %v %032x", k, serial),
		}
	}
	var (
		parentCert *x509.Certificate
		parentKey  crypto.Signer
	)
	if parent != nil {
		parentCert, parentKey = parent.Certificate, parent.Key
	}
	is, err := sign(caTemplate(subject, fl), fl, parentCert, parentKey)
	if err != nil {
		return nil, fmt.Errorf("tlstest: issuing %v: %w", k, err)
	}
	ca := &CA{
		Certificate: is.cert,
		Key:         is.key,
		root:        is.cert,
		parent:      parent,
		flaws:       fl,
	}
	if parent != nil {
		ca.root = parent.root
		ca.chain = append([]*x509.Certificate{is.cert}, parent.chain...)
	}
	if ca.CertFile, ca.KeyFile, err = writeFiles(dir, "ca", []*x509.Certificate{is.cert}, is.key); err != nil {
		return nil, err
	}
	return ca, nil
}
