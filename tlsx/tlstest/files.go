package tlstest

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// File modes: certificates are public, keys readable by their owner only,
// as a deployment would write them and as file-permission checks expect.
const (
	certFileMode = 0o644
	keyFileMode  = 0o600
)

// writeFiles writes certs (first to last) as a PEM certificate file and
// key as a PKCS#8 PEM key file into dir, and returns their paths. Names
// come from os.CreateTemp, so they never collide, however many files dir
// already holds.
func writeFiles(dir, prefix string, certs []*x509.Certificate, key crypto.Signer) (certFile, keyFile string, err error) {
	var certPEM bytes.Buffer
	for _, c := range certs {
		if err := pem.Encode(&certPEM, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
			return "", "", fmt.Errorf("tlstest: encoding %s certificate: %w", prefix, err)
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("tlstest: encoding %s key: %w", prefix, err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	certFile, err = writeFile(dir, prefix+"-cert-*.pem", certPEM.Bytes(), certFileMode)
	if err != nil {
		return "", "", fmt.Errorf("tlstest: writing %s certificate: %w", prefix, err)
	}
	keyFile, err = writeFile(dir, prefix+"-key-*.pem", keyPEM, keyFileMode)
	if err != nil {
		return "", "", fmt.Errorf("tlstest: writing %s key: %w", prefix, err)
	}
	return certFile, keyFile, nil
}

// writeFile writes data to a new file in dir named after pattern and sets
// its mode to perm. The file is created with mode 0600, so a key is never
// readable by others, not even for a moment.
func writeFile(dir, pattern string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
