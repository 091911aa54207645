package tlstest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// Certificate files hold the leaf then its intermediates and load with
// tls.LoadX509KeyPair; key files are PKCS#8 with mode 0600.
func TestFiles(t *testing.T) {
	root := tlstest.NewCA(t)
	mid := root.Intermediate(t)
	for _, c := range []*tlstest.Cert{root.Server(t), root.Client(t), mid.Server(t), mid.Client(t)} {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		if len(pair.Certificate) != len(c.TLS.Certificate) {
			t.Fatalf("%s holds %d certificates, want %d", c.CertFile, len(pair.Certificate), len(c.TLS.Certificate))
		}
		for i := range pair.Certificate {
			if string(pair.Certificate[i]) != string(c.TLS.Certificate[i]) {
				t.Errorf("%s: certificate %d differs from TLS.Certificate", c.CertFile, i)
			}
		}
		checkKeyFile(t, c.KeyFile)
		checkMode(t, c.CertFile, 0o644)
	}

	for _, ca := range []*tlstest.CA{root, mid} {
		certs := readCerts(t, ca.CertFile)
		if len(certs) != 1 || !certs[0].Equal(ca.Certificate) {
			t.Errorf("%s holds %d certificates, want the CA's alone", ca.CertFile, len(certs))
		}
		if _, err := tls.LoadX509KeyPair(ca.CertFile, ca.KeyFile); err != nil {
			t.Error(err)
		}
		checkKeyFile(t, ca.KeyFile)
		checkMode(t, ca.CertFile, 0o644)
	}

	// A root's file is a trust bundle: its pool verifies the root's
	// leaves.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(readFile(t, root.CertFile))
	if _, err := root.Server(t).Certificate.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
		t.Errorf("verifying against %s: %v", root.CertFile, err)
	}
}

func checkKeyFile(t *testing.T, name string) {
	t.Helper()
	checkMode(t, name, 0o600)
	block, rest := pem.Decode(readFile(t, name))
	if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
		t.Fatalf("%s: want a single PRIVATE KEY block", name)
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

func checkMode(t *testing.T, name string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", name, got, want)
	}
}

func readCerts(t *testing.T, name string) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	rest := readFile(t, name)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return certs
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		certs = append(certs, c)
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
