package tlstest

import "fmt"

// Flaw is a deliberate defect in a certificate, for tests that must see a
// handshake fail for a known reason. Pass flaws to [NewCA] for a root, or
// to [CA.Issuing] for the certificates a CA issues next.
//
// Each flaw names the error that Go's verifier (crypto/x509, as used by
// crypto/tls) reports for it; a test asserts that error with errors.As.
type Flaw int

const (
	// Expired makes the certificate's validity end an hour ago (it began
	// a day before that). Verification fails with
	// [x509.CertificateInvalidError] and Reason [x509.Expired].
	Expired Flaw = iota + 1

	// NotYetValid makes the certificate's validity start in an hour.
	// Verification fails with [x509.CertificateInvalidError] and Reason
	// [x509.Expired]: Go reports both ends of the window with that reason.
	NotYetValid

	// WrongUsage gives the certificate the wrong extended key usage: a
	// server certificate gets clientAuth only, a client certificate
	// serverAuth only, and a CA codeSigning only, so no TLS chain through
	// it is acceptable. Verification fails with
	// [x509.CertificateInvalidError] and Reason [x509.IncompatibleUsage].
	WrongUsage

	// WrongKey gives a leaf a [Cert.Key] (and key file) that does not
	// match the public key in its certificate, as when a certificate and a
	// key from different issuances are deployed together.
	// [tls.LoadX509KeyPair] refuses the pair; a handshake that presents it
	// fails because the peer cannot verify the handshake signature. It
	// applies to leaves only: a CA with the wrong key could not sign.
	WrongKey

	// NotCA issues a CA certificate whose basic constraints say CA:FALSE
	// (BasicConstraintsValid set, IsCA false), as when a leaf is mistaken
	// for an issuer. Go rejects every chain through it while building the
	// chain, so verification fails with [x509.UnknownAuthorityError], and
	// [x509.Certificate.CheckSignatureFrom] with
	// [x509.ConstraintViolationError]. It applies to CAs only.
	NotCA
)

// String returns the flaw's name, as written in Go.
func (f Flaw) String() string {
	switch f {
	case Expired:
		return "Expired"
	case NotYetValid:
		return "NotYetValid"
	case WrongUsage:
		return "WrongUsage"
	case WrongKey:
		return "WrongKey"
	case NotCA:
		return "NotCA"
	}
	return fmt.Sprintf("Flaw(%d)", int(f))
}

// flaws is the set of flaws one certificate carries.
type flaws struct {
	expired, notYetValid, wrongUsage, wrongKey, notCA bool
}

// newFlaws checks fs against the kind of certificate being issued.
func newFlaws(k kind, fs []Flaw) (flaws, error) {
	var s flaws
	for _, f := range fs {
		switch f {
		case Expired:
			s.expired = true
		case NotYetValid:
			s.notYetValid = true
		case WrongUsage:
			s.wrongUsage = true
		case WrongKey:
			if k.isCA() {
				return s, fmt.Errorf("flaw %v applies to server and client certificates only", f)
			}
			s.wrongKey = true
		case NotCA:
			if !k.isCA() {
				return s, fmt.Errorf("flaw %v applies to CAs only", f)
			}
			s.notCA = true
		default:
			return s, fmt.Errorf("unknown %v", f)
		}
	}
	if s.expired && s.notYetValid {
		return s, fmt.Errorf("flaws %v and %v contradict each other", Expired, NotYetValid)
	}
	return s, nil
}
