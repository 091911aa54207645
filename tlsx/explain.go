package tlsx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
	"time"
)

// Kind classifies a failed TLS handshake. Kinds are stable strings, fit
// for log fields and metric attributes.
type Kind string

// Kinds reported by [Explain].
const (
	// KindUnknown is a failure tlsx does not recognise.
	KindUnknown Kind = "unknown"
	// KindNoClientCertificate: the server requires a client certificate
	// and the client sent none.
	KindNoClientCertificate Kind = "no-client-certificate"
	// KindUnknownAuthority: the certificate does not chain to a trusted
	// CA. A peer that sends its leaf without the intermediate that issued
	// it fails this way too: a verifier cannot tell a missing
	// intermediate from a foreign CA, so the message names both fixes.
	KindUnknownAuthority Kind = "unknown-authority"
	// KindIssuerNotCA: an issuer in the chain lacks CA:TRUE.
	KindIssuerNotCA Kind = "issuer-not-ca"
	// KindRegeneratedCA: a trusted CA has the issuer's name but another
	// key, as when a CA was regenerated and only one side was updated.
	KindRegeneratedCA Kind = "regenerated-ca"
	// KindExpired: a certificate's validity has ended.
	KindExpired Kind = "expired"
	// KindNotYetValid: a certificate's validity has not begun.
	KindNotYetValid Kind = "not-yet-valid"
	// KindWrongUsage: a certificate lacks the extended key usage of its
	// role (serverAuth, clientAuth).
	KindWrongUsage Kind = "wrong-usage"
	// KindHostname: the server's certificate does not cover the name
	// dialled.
	KindHostname Kind = "hostname-mismatch"
	// KindIdentity: a verified peer is not in the allow-list.
	KindIdentity Kind = "identity-not-allowed"
	// KindBadCertificate: the peer refused our certificate (alert 42,
	// bad_certificate) without saying why.
	KindBadCertificate Kind = "bad-certificate"
	// KindBadSignature: a handshake signature did not verify, usually a
	// certificate deployed with the wrong key.
	KindBadSignature Kind = "bad-signature"
	// KindNotTLS: the peer does not speak TLS.
	KindNotTLS Kind = "not-tls"
	// KindVersion: no TLS version in common.
	KindVersion Kind = "version-mismatch"
	// KindHandshakeFailure: the peer refused the handshake with alert
	// 40 (handshake_failure): no cipher suite or key exchange in common,
	// or, under TLS 1.2, no client certificate where one is required.
	KindHandshakeFailure Kind = "handshake-failure"
	// KindUnrecognizedName: the server has no certificate for the name
	// sent (SNI).
	KindUnrecognizedName Kind = "unrecognized-name"
	// KindNoApplicationProtocol: no ALPN protocol in common.
	KindNoApplicationProtocol Kind = "no-application-protocol"
	// KindPeerInternalError: the peer failed on its own side (alert 80).
	KindPeerInternalError Kind = "peer-internal-error"
	// KindTimeout: the handshake did not finish before its deadline.
	KindTimeout Kind = "timeout"
	// KindPeerClosed: the peer closed the connection during the
	// handshake without sending an alert.
	KindPeerClosed Kind = "peer-closed"
	// KindAlert: another alert from the peer; see HandshakeError.Alert.
	KindAlert Kind = "remote-alert"
)

// Side says which end of the connection refused the handshake.
type Side string

const (
	// SideLocal: this process refused the peer.
	SideLocal Side = "local"
	// SideRemote: the peer refused this process and said so with a TLS
	// alert.
	SideRemote Side = "remote"
)

// HandshakeError explains a failed handshake: its Kind, which Side
// refused it, and a Message that says what to fix. It wraps the
// original error, so errors.As still finds crypto/tls's and
// crypto/x509's types.
type HandshakeError struct {
	Kind    Kind
	Side    Side
	Message string
	// Alert is the TLS alert the peer sent, for SideRemote; 0 otherwise.
	Alert uint8
	Err   error
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("tlsx: %s (%s): %s", e.Kind, e.Side, e.Message)
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// Explain classifies err, an error from a TLS handshake or from the
// first read after it (under TLS 1.3 a server's refusal of the client
// certificate arrives only then), and says how to fix it. It returns
// nil for a nil err and a HandshakeError of KindUnknown for an error it
// does not recognise; an err that already is a *HandshakeError is
// returned as is.
//
// trusted are the CA certificates the local side trusts (its CA file).
// With them, an unknown authority is narrowed down to an issuer without
// CA:TRUE or a regenerated CA with the same name; without them the
// message names every likely cause.
func Explain(err error, trusted ...*x509.Certificate) *HandshakeError {
	return explainAt(err, time.Now(), trusted)
}

func explainAt(err error, now time.Time, trusted []*x509.Certificate) *HandshakeError {
	if err == nil {
		return nil
	}
	var he *HandshakeError
	if errors.As(err, &he) {
		return he
	}
	e := &HandshakeError{Kind: KindUnknown, Side: SideLocal, Err: err, Message: err.Error()}
	var (
		idErr     *IdentityError
		rec       tls.RecordHeaderError
		invalid   x509.CertificateInvalidError
		hostErr   x509.HostnameError
		unknownCA x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &idErr):
		e.Kind = KindIdentity
		e.Message = fmt.Sprintf("the %s's certificate (dns %v, uri %v) is verified but not in the allow-list; add one of its names to allowed_%ss, or check that the right %s was reached",
			idErr.Side, idErr.DNS, idErr.URI, idErr.Side, idErr.Side)
	case errors.Is(err, ErrNoServerName):
		e.Kind = KindHostname
		e.Message = "an IP address was dialled and no server name is configured, so the certificate cannot be checked; set tls.server_name to a name in the server's certificate"
	case errors.As(err, &rec):
		e.Kind = KindNotTLS
		e.Message = fmt.Sprintf("the peer does not speak TLS (its first bytes are %q); it is a plain-text endpoint or another protocol: use https:// and the TLS port, or put TLS on the peer", rec.RecordHeader[:])
	case errors.As(err, &invalid):
		explainInvalid(e, invalid, now)
	case errors.As(err, &hostErr):
		e.Kind = KindHostname
		e.Message = fmt.Sprintf("the server's certificate covers %s, not %q; dial a name it covers (or set tls.server_name), or reissue the certificate with %q as a subject alternative name",
			certNames(hostErr.Certificate), hostErr.Host, hostErr.Host)
	case errors.As(err, &unknownCA):
		explainUnknownAuthority(e, err, unknownCA, trusted)
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		e.Kind = KindTimeout
		e.Message = "the handshake did not finish in time: the peer is slow, overloaded or not speaking (a port scanner, a stalled client); if it is legitimate, check the network path and the handshake timeout"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		e.Kind = KindPeerClosed
		e.Message = "the peer closed the connection during the handshake without a TLS alert: it may have refused this side's certificate without saying why (some clients and load balancers do), or given up; read the peer's log"
	default:
		if code, ok := remoteAlert(err); ok {
			explainAlert(e, code)
		} else {
			explainLocalText(e, err)
		}
	}
	return e
}

func explainInvalid(e *HandshakeError, invalid x509.CertificateInvalidError, now time.Time) {
	c := invalid.Cert
	switch invalid.Reason {
	case x509.Expired:
		// crypto/x509 reports both ends of the validity window as
		// Expired; NotBefore tells them apart.
		if c != nil && now.Before(c.NotBefore) {
			e.Kind = KindNotYetValid
			e.Message = fmt.Sprintf("the peer's certificate %q is not valid until %s; check the clock of this host (and the issuer's), or wait",
				c.Subject.String(), c.NotBefore.UTC().Format(time.RFC3339))
			return
		}
		e.Kind = KindExpired
		e.Message = "the peer's certificate has expired; renew it (and check why automated renewal did not)"
		if c != nil {
			e.Message = fmt.Sprintf("the peer's certificate %q expired at %s; renew it (and check why automated renewal did not)",
				c.Subject.String(), c.NotAfter.UTC().Format(time.RFC3339))
		}
	case x509.IncompatibleUsage:
		e.Kind = KindWrongUsage
		e.Message = "the peer's certificate (or an issuer) lacks the extended key usage of its role: serverAuth for a server, clientAuth for a client; reissue it with that usage, or deploy the certificate meant for that role"
	case x509.NotAuthorizedToSign:
		e.Kind = KindIssuerNotCA
		e.Message = "an issuer in the peer's chain is not a CA (no CA:TRUE); the certificate was signed with a leaf's key: reissue it from the real CA"
	default:
		e.Kind = KindUnknown
		e.Message = fmt.Sprintf("the peer's certificate is invalid: %v", invalid)
	}
}

func explainUnknownAuthority(e *HandshakeError, err error, ua x509.UnknownAuthorityError, trusted []*x509.Certificate) {
	e.Kind = KindUnknownAuthority
	var chain []*x509.Certificate
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		chain = cve.UnverifiedCertificates
	}
	if len(chain) == 0 && ua.Cert != nil {
		chain = []*x509.Certificate{ua.Cert}
	}
	if len(chain) == 0 {
		e.Message = "the peer's certificate does not chain to a trusted CA; add its CA to the CA file, or make the peer send its intermediates"
		return
	}
	for _, ic := range chain[1:] {
		if !ic.BasicConstraintsValid || !ic.IsCA {
			e.Kind = KindIssuerNotCA
			e.Message = fmt.Sprintf("the peer's chain contains %q, which is not a CA (no CA:TRUE), as its issuer; reissue the certificate from the real CA", ic.Subject.String())
			return
		}
	}
	top := chain[len(chain)-1]
	for _, ca := range trusted {
		if !bytes.Equal(top.RawIssuer, ca.RawSubject) {
			continue
		}
		sigErr := top.CheckSignatureFrom(ca)
		if errors.As(sigErr, new(x509.ConstraintViolationError)) {
			e.Kind = KindIssuerNotCA
			e.Message = fmt.Sprintf("the trusted certificate %q that issued the peer's chain is not a CA (no CA:TRUE), so nothing it signs verifies; put the real CA in the CA file and reissue from it", ca.Subject.String())
			return
		}
		if sigErr != nil {
			e.Kind = KindRegeneratedCA
			e.Message = fmt.Sprintf("a trusted CA is named %q like the peer's issuer but has another key: the CA was regenerated and only one side was updated; distribute the current CA file to both sides (during a rotation hold both CAs in it) and reissue the peer's certificate",
				ca.Subject.String())
			return
		}
	}
	switch {
	case len(chain) == 1 && !bytes.Equal(top.RawIssuer, top.RawSubject):
		e.Message = fmt.Sprintf("the peer sent only its certificate, issued by %q, which is not a trusted CA: if %q is an intermediate, the peer must send it (append it to the peer's certificate file); otherwise add the peer's CA to the CA file",
			top.Issuer.String(), top.Issuer.String())
	default:
		e.Message = fmt.Sprintf("the peer's certificate chain ends at %q, issued by %q, which is not a trusted CA; add that CA to the CA file (during a CA rotation the file holds both the old and the new CA)",
			top.Subject.String(), top.Issuer.String())
	}
}

// alertTexts are crypto/tls's texts of the alerts tlsx explains, as its
// alert.Error returns them after "tls: ".
var alertTexts = map[uint8]string{
	40: "handshake failure", 42: "bad certificate", 45: "expired certificate",
	48: "unknown certificate authority", 51: "error decrypting message",
	70: "protocol version not supported", 80: "internal error", 112: "unrecognized name",
	116: "certificate required", 120: "no application protocol",
}

// remoteAlert returns the alert the peer sent, if err is one.
//
// crypto/tls reports a received alert as a *net.OpError with Op
// "remote error" whose Err has the unexported type tls.alert
// (golang/go#35234 asks for it to be exported). The code is read from
// that value by reflection, which needs no string matching; only if a
// future release changes the type is the alert recognised by its text,
// "tls: <alert text>". harden classifies errors by type everywhere
// else; this is the one place Go offers no typed alternative.
func remoteAlert(err error) (uint8, bool) {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return uint8(ae), true
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(op.Err)
	if t := v.Type(); t.PkgPath() == "crypto/tls" && t.Name() == "alert" && t.Kind() == reflect.Uint8 {
		return uint8(v.Uint()), true
	}
	for code, text := range alertTexts {
		if op.Err.Error() == "tls: "+text {
			return code, true
		}
	}
	return 0, true
}

func explainAlert(e *HandshakeError, code uint8) {
	e.Side, e.Alert = SideRemote, code
	switch code {
	case 40:
		e.Kind = KindHandshakeFailure
		e.Message = "the peer refused the handshake (alert 40, handshake_failure): it shares no cipher suite or key exchange with this side, or, under TLS 1.2, it requires a client certificate and none was sent; configure a client certificate (cert_file, key_file) from a CA the server trusts, or align the TLS settings"
	case 42:
		e.Kind = KindBadCertificate
		e.Message = "the peer refused this side's certificate (alert 42, bad_certificate): it may lack the right usage (clientAuth, serverAuth), not be in the peer's allow-list, or be rejected by the peer's verification; read the peer's log, which says why"
	case 45:
		e.Kind = KindExpired
		e.Message = "the peer says this side's certificate has expired or is not yet valid (alert 45, certificate_expired); renew it, or check both clocks"
	case 48:
		e.Kind = KindUnknownAuthority
		e.Message = "the peer does not trust the CA of this side's certificate (alert 48, unknown_ca); add that CA to the peer's CA file, or send the intermediates in this side's certificate file"
	case 51:
		e.Kind = KindBadSignature
		e.Message = "the peer could not verify this side's handshake signature (alert 51, decrypt_error): the key file probably does not match the certificate; deploy the key issued with the certificate"
	case 70:
		e.Kind = KindVersion
		e.Message = "the peer supports no TLS version this side offers (alert 70, protocol_version); allow TLS 1.2 or 1.3 on both sides (min_version)"
	case 80:
		e.Kind = KindPeerInternalError
		e.Message = "the peer failed on its own side (alert 80, internal_error), for example when it could not load its certificate; read the peer's log"
	case 112:
		e.Kind = KindUnrecognizedName
		e.Message = "the server has no certificate for the name sent (alert 112, unrecognized_name); dial a name it serves, or set tls.server_name"
	case 116:
		e.Kind = KindNoClientCertificate
		e.Message = "the server requires a client certificate and none was sent (alert 116, certificate_required); set cert_file and key_file to a client certificate from a CA the server trusts"
	case 120:
		e.Kind = KindNoApplicationProtocol
		e.Message = "the peer shares no application protocol (ALPN, alert 120, no_application_protocol) with this side; align NextProtos, such as h2 and http/1.1"
	default:
		e.Kind = KindAlert
		e.Message = fmt.Sprintf("the peer refused the handshake with alert %d (%v); read the peer's log", code, e.Err)
	}
}

// localTexts are errors that crypto/tls creates with errors.New or
// fmt.Errorf and no type, with what they mean. Like the alerts they are
// recognised by text because Go exports nothing to recognise them by;
// each prefix is a literal of crypto/tls's source.
var localTexts = []struct {
	prefix  string
	kind    Kind
	message string
}{
	{"tls: client didn't provide a certificate", KindNoClientCertificate,
		"the client sent no certificate and one is required; give the client a certificate (cert_file, key_file) from a CA in client_ca_file; a Go client sends none when its certificate's issuer is not among the CAs this server names, so check that client_ca_file holds the client's root or intermediate"},
	{"tls: client offered only unsupported versions", KindVersion,
		"the client offers only TLS versions below this server's min_version; upgrade the client to TLS 1.2 or 1.3, or lower min_version to 1.2"},
	{"tls: server selected unsupported protocol version", KindVersion,
		"the server chose a TLS version this client refuses; raise the server to TLS 1.2 or 1.3"},
	{"tls: no cipher suite supported by both client and server", KindHandshakeFailure,
		"the client offers no cipher suite this side accepts (harden accepts only ECDHE with AES-GCM or ChaCha20-Poly1305 under TLS 1.2); enable those suites, or TLS 1.3, on the client"},
	{"tls: client requested unsupported application protocols", KindNoApplicationProtocol,
		"the client offers only ALPN protocols this server does not speak; align NextProtos, such as h2 and http/1.1"},
	{"tls: invalid signature by the", KindBadSignature,
		"the peer's handshake signature does not verify against its certificate: its key file does not match its certificate; deploy the key issued with the certificate"},
}

func explainLocalText(e *HandshakeError, err error) {
	msg := err.Error()
	for _, lt := range localTexts {
		if strings.Contains(msg, lt.prefix) {
			e.Kind, e.Message = lt.kind, lt.message
			return
		}
	}
}

func certNames(c *x509.Certificate) string {
	if c == nil {
		return "no names"
	}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	for _, u := range c.URIs {
		names = append(names, u.String())
	}
	if len(names) == 0 {
		return "no subject alternative names"
	}
	return strings.Join(names, ", ")
}
