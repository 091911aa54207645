package scenarios

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// certLifetime is how long the scenario certificate is valid. It only has
// to outlive one process; the backdating absorbs clock skew between the
// moment it is made and the first handshake.
const (
	certLifetime = 24 * time.Hour
	certBackdate = time.Hour
)

// certPair is a self-signed certificate for 127.0.0.1 and the pool that
// trusts it: the server presents one, every client (attacker and
// legitimate alike) verifies against the other, so no scenario has to
// skip verification.
type certPair struct {
	cert  tls.Certificate
	roots *x509.CertPool
}

// scenarioCerts returns this process's scenario certificate, made on first
// use. The key never leaves the process and the certificate names only
// 127.0.0.1, so it cannot be used to impersonate anything else.
var scenarioCerts = sync.OnceValues(newCertPair)

// newCertPair makes an ECDSA P-256 key and a self-signed certificate for
// the IP address 127.0.0.1.
func newCertPair() (*certPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("scenarios: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("scenarios: certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "harden scenarios"},
		NotBefore:             now.Add(-certBackdate),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own root
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("scenarios: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("scenarios: parse certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return &certPair{
		cert:  tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		roots: roots,
	}, nil
}

// server returns a fresh server configuration offering HTTP/2 and
// HTTP/1.1 by ALPN, as a TLS server in front of net/http does.
func (p *certPair) server() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{p.cert},
		NextProtos:   []string{"h2", "http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}
}

// client returns a fresh client configuration that trusts only the
// scenario certificate.
func (p *certPair) client() *tls.Config {
	return &tls.Config{
		RootCAs:    p.roots,
		ServerName: "127.0.0.1",
		MinVersion: tls.VersionTLS12,
	}
}
