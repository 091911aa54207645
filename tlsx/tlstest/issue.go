package tlstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"
)

// kind is what a certificate is issued for.
type kind int

const (
	kindRoot kind = iota
	kindIntermediate
	kindServer
	kindClient
)

func (k kind) String() string {
	switch k {
	case kindRoot:
		return "root CA"
	case kindIntermediate:
		return "intermediate CA"
	case kindServer:
		return "server"
	default:
		return "client"
	}
}

func (k kind) isCA() bool { return k == kindRoot || k == kindIntermediate }

// Validity windows, relative to the moment of issue. A valid certificate
// began an hour ago, so a peer whose clock is a little behind still
// accepts it; the flawed windows stay an hour clear of now on the other
// side, so no test run is long enough to cross them.
const (
	backdate = time.Hour
	lifetime = 24 * time.Hour
	margin   = time.Hour
)

// organization names every subject tlstest issues, so its certificates are
// recognisable in logs and handshake errors.
const organization = "harden tlstest"

// newKey returns a fresh ECDSA P-256 key.
func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// newSerial returns a random, positive serial number of at most 128 bits:
// unique in practice without any state, as RFC 5280 4.1.2.2 requires of
// an issuer.
func newSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, err
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// keyID is the subject key identifier of pub: the leftmost 160 bits of the
// SHA-256 hash of the public key, method 1 of RFC 7093 section 2.
func keyID(pub *ecdsa.PublicKey) ([]byte, error) {
	b, err := pub.Bytes()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return sum[:20], nil
}

// validity returns the window for a certificate issued now with fl.
func validity(now time.Time, fl flaws) (notBefore, notAfter time.Time) {
	switch {
	case fl.expired:
		return now.Add(-margin - lifetime), now.Add(-margin)
	case fl.notYetValid:
		return now.Add(margin), now.Add(margin + lifetime)
	}
	return now.Add(-backdate), now.Add(lifetime)
}

// issued is a freshly signed certificate with its key.
type issued struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey // the key certified by cert
}

// sign issues tmpl, completed with a fresh key, serial, key ID and
// validity, under parent and parentKey; a nil parent self-signs.
func sign(tmpl *x509.Certificate, fl flaws, parent *x509.Certificate, parentKey crypto.Signer) (issued, error) {
	key, err := newKey()
	if err != nil {
		return issued{}, fmt.Errorf("generating key: %w", err)
	}
	if tmpl.SerialNumber, err = newSerial(); err != nil {
		return issued{}, fmt.Errorf("generating serial number: %w", err)
	}
	if tmpl.SubjectKeyId, err = keyID(&key.PublicKey); err != nil {
		return issued{}, fmt.Errorf("computing key ID: %w", err)
	}
	tmpl.NotBefore, tmpl.NotAfter = validity(time.Now(), fl)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return issued{}, fmt.Errorf("signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return issued{}, fmt.Errorf("parsing certificate: %w", err)
	}
	return issued{cert: cert, key: key}, nil
}

// caTemplate returns the template of a CA named subject with fl.
func caTemplate(subject pkix.Name, fl flaws) *x509.Certificate {
	tmpl := &x509.Certificate{
		Subject:               subject,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  !fl.notCA,
	}
	if fl.wrongUsage {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
	}
	return tmpl
}

// leafTemplate returns the template of a server or client certificate for
// names with fl.
func leafTemplate(k kind, names []string, fl flaws) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{organization}},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	if err := addNames(tmpl, names); err != nil {
		return nil, err
	}
	// RFC 5280 bounds a common name at 64 characters; long SPIFFE IDs
	// stay in the SAN only.
	if len(names) > 0 && len(names[0]) <= 64 {
		tmpl.Subject.CommonName = names[0]
	}
	usage := x509.ExtKeyUsageServerAuth
	if (k == kindClient) != fl.wrongUsage {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	return tmpl, nil
}
