package tlsx

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// kubeDataDir is the symlink through which a Kubernetes secret or
// configMap volume publishes its current version: the kubelet's atomic
// writer fills a new timestamped directory, points ..data_tmp at it and
// renames ..data_tmp over ..data, and each file in the volume is a
// symlink "name -> ..data/name".
const kubeDataDir = "..data"

// fileReader reads the files of one version. It resolves a directory's
// ..data symlink once and reads every file published through it from the
// resolved directory, so a certificate and its key always come from the
// same version even if the kubelet swaps ..data between the two reads.
type fileReader struct {
	resolved map[string]string // directory -> resolved ..data target
	sum      [][]byte          // contents read, in order, for the hash
	onRead   func(path string) // called after each file is read; may be nil
}

func (r *fileReader) read(path string) ([]byte, error) {
	if r.resolved == nil {
		r.resolved = make(map[string]string)
	}
	name := path
	if target, err := os.Readlink(path); err == nil && !filepath.IsAbs(target) {
		if rest, ok := strings.CutPrefix(filepath.ToSlash(target), kubeDataDir+"/"); ok {
			dir := filepath.Dir(path)
			data, ok := r.resolved[dir]
			if !ok {
				if data, err = filepath.EvalSymlinks(filepath.Join(dir, kubeDataDir)); err != nil {
					return nil, err
				}
				r.resolved[dir] = data
			}
			name = filepath.Join(data, filepath.FromSlash(rest))
		}
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if r.onRead != nil {
		r.onRead(path)
	}
	r.sum = append(r.sum, b)
	return b, nil
}

// hash identifies the version read: SHA-256 over every file, each
// prefixed with its length.
func (r *fileReader) hash() [sha256.Size]byte {
	h := sha256.New()
	for _, b := range r.sum {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// material is one validated version of a source's files.
type material struct {
	hash    [sha256.Size]byte
	cert    *tls.Certificate      // nil when no certificate is configured
	cas     []*x509.Certificate   // the CA file's certificates; nil when none
	pool    *x509.CertPool        // built from cas; nil means system roots
	tickets [][TicketKeySize]byte // session ticket keys, oldest first; nil when none
	loaded  time.Time
	version int // 0 for the first load, then +1 per swap
}

// leaf returns the leaf certificate, or nil.
func (m *material) leaf() *x509.Certificate {
	if m == nil || m.cert == nil {
		return nil
	}
	return m.cert.Leaf
}

// fileSpec names the files of a source and the fields that name them.
type fileSpec struct {
	prefix              string // "tls."
	certFile, keyFile   string
	caFile              string
	certField, keyField string
	caField             string
	ticketFile          string // session ticket keys; servers only
	ticketField         string
	usage               x509.ExtKeyUsage // what the certificate is for
	role                string           // "server" or "client"
}

// load reads and checks every file of spec at now, calling onRead (when
// not nil) after each file is read. It returns the material, or every
// problem found as *harden.ConfigError joined; the hash identifies the version
// read either way.
func (spec fileSpec) load(now time.Time, onRead func(path string)) (*material, [sha256.Size]byte, error) {
	p := &problems{Prefix: spec.prefix}
	r := fileReader{onRead: onRead}
	m := &material{loaded: now}
	if spec.certFile != "" && spec.keyFile != "" {
		certPEM, cerr := r.read(spec.certFile)
		if cerr != nil {
			p.Add(spec.certField, RuleFile, "cannot be read (%v); point it at the PEM certificate file", cerr)
		}
		keyPEM, kerr := r.read(spec.keyFile)
		if kerr != nil {
			p.Add(spec.keyField, RuleFile, "cannot be read (%v); point it at the PEM key file", kerr)
		}
		if cerr == nil && kerr == nil {
			m.cert = spec.checkKeyPair(p, certPEM, keyPEM, now)
		}
	}
	if spec.caFile != "" {
		caPEM, err := r.read(spec.caFile)
		if err != nil {
			p.Add(spec.caField, RuleFile, "cannot be read (%v); point it at the PEM file of the CA certificates", err)
		} else {
			m.cas = checkCAs(p, spec.caField, caPEM)
			if len(m.cas) > 0 {
				m.pool = x509.NewCertPool()
				for _, c := range m.cas {
					m.pool.AddCert(c)
				}
			}
		}
	}
	if spec.ticketFile != "" {
		data, err := r.read(spec.ticketFile)
		if err != nil {
			p.Add(spec.ticketField, RuleFile, "cannot be read (%v); point it at the file of base64 session ticket keys", err)
		} else {
			m.tickets = parseTicketKeys(p, spec.ticketField, data)
		}
	}
	m.hash = r.hash()
	if err := p.Err(); err != nil {
		return nil, m.hash, err
	}
	return m, m.hash, nil
}

// checkKeyPair parses a certificate chain and its key and checks them
// for use by spec.role at now.
func (spec fileSpec) checkKeyPair(p *problems, certPEM, keyPEM []byte, now time.Time) *tls.Certificate {
	certs, err := parseCerts(certPEM)
	if err != nil {
		p.Add(spec.certField, RuleFile, "%v; it must hold the PEM certificate, then its intermediates", err)
		return nil
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		p.Add(spec.keyField, RuleFile, "%v; it must hold one PEM private key (PKCS#8, PKCS#1 or SEC 1)", err)
		return nil
	}
	leaf := certs[0]
	ok := true
	if !publicKeyMatches(leaf.PublicKey, key) {
		p.Add(spec.keyField, RuleKeyPair,
			"does not match the certificate in %s (serial %x); deploy the key issued with that certificate (a rotation may have replaced only one of the two files)",
			spec.certField, leaf.SerialNumber)
		ok = false
	}
	if !hasUsage(leaf, spec.usage) {
		p.Add(spec.certField, RuleKeyUsage,
			"the certificate's extended key usage %v lacks %s, so every %s peer rejects it; reissue it with %s",
			usageNames(leaf.ExtKeyUsage), usageName(spec.usage), peerRole(spec.role), usageName(spec.usage))
		ok = false
	}
	if msg := validityProblem(leaf, now); msg != "" {
		p.Add(spec.certField, RuleValidity, "%s; renew the certificate", msg)
		ok = false
	}
	for i := 0; i+1 < len(certs); i++ {
		if err := certs[i].CheckSignatureFrom(certs[i+1]); err != nil {
			p.Add(spec.certField, RuleChain,
				"certificate %d (%s) is not signed by certificate %d (%s) that follows it (%v); list the leaf first, then each issuer in order",
				i+1, certs[i].Subject, i+2, certs[i+1].Subject, err)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: leaf}
	for _, x := range certs {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}

// checkCAs parses a CA bundle and checks that every certificate may
// issue certificates.
func checkCAs(p *problems, field string, caPEM []byte) []*x509.Certificate {
	cas, err := parseCerts(caPEM)
	if err != nil {
		p.Add(field, RuleFile, "%v; it must hold the PEM certificates of the CAs to trust", err)
		return nil
	}
	ok := true
	for _, c := range cas {
		if !c.BasicConstraintsValid || !c.IsCA {
			p.Add(field, RuleCANotCA,
				"holds %q (serial %x) whose basic constraints lack CA:TRUE, so nothing it signs verifies; put the issuing CA's certificate here, not a leaf",
				c.Subject.String(), c.SerialNumber)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return cas
}

// validityProblem describes why c is not valid at now, or returns "".
func validityProblem(c *x509.Certificate, now time.Time) string {
	switch {
	case now.Before(c.NotBefore):
		return fmt.Sprintf("the certificate is not valid until %s (%s from now; is a clock wrong?)",
			c.NotBefore.UTC().Format(time.RFC3339), c.NotBefore.Sub(now).Round(time.Second))
	case now.After(c.NotAfter):
		return fmt.Sprintf("the certificate expired at %s (%s ago)",
			c.NotAfter.UTC().Format(time.RFC3339), now.Sub(c.NotAfter).Round(time.Second))
	}
	return ""
}

// pemBegin starts the first line of every PEM block (RFC 7468 section 2).
var pemBegin = []byte("-----BEGIN ")

// pemBlocks decodes every PEM block of data, or refuses the file as a
// whole. pem.Decode on its own stops at a block cut short and skips a
// block whose base64 is damaged, keeping the blocks around it: a CA
// bundle or a chain copied halfway would then load as a shorter, valid
// looking one. Text before a block is allowed, as pem.Decode and
// OpenSSL allow it (comments, OpenSSL's "subject=" lines); after the
// last block only whitespace is.
func pemBlocks(data []byte) ([]*pem.Block, error) {
	var blocks []*pem.Block
	all := data
	for {
		start := bytes.Index(data, pemBegin)
		if start < 0 {
			break
		}
		at := data[start:]
		block, rest := pem.Decode(at)
		// pem.Decode returns the next good block when this one is bad,
		// so a block is good only if no other BEGIN line was passed.
		if block == nil || bytes.Count(at[:len(at)-len(rest)], pemBegin) != 1 {
			return nil, fmt.Errorf("PEM block %d, at line %d, is cut short or damaged (no END line, or its base64 does not decode); the file is incomplete",
				len(blocks)+1, lineOf(all, at))
		}
		blocks = append(blocks, block)
		data = rest
	}
	if len(blocks) > 0 && len(bytes.TrimSpace(data)) > 0 {
		return nil, fmt.Errorf("has text after the END line of its last PEM block, at line %d; the file is cut short or two files ran together",
			lineOf(all, bytes.TrimLeftFunc(data, unicode.IsSpace)))
	}
	return blocks, nil
}

// lineOf returns the line number, from 1, at which the suffix rest of
// all begins.
func lineOf(all, rest []byte) int {
	return bytes.Count(all[:len(all)-len(rest)], []byte("\n")) + 1
}

func parseCerts(data []byte) ([]*x509.Certificate, error) {
	blocks, err := pemBlocks(data)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for _, block := range blocks {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d cannot be parsed: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("holds no PEM CERTIFICATE block")
	}
	return certs, nil
}

func parseKey(data []byte) (crypto.Signer, error) {
	blocks, err := pemBlocks(data)
	if err != nil {
		return nil, err
	}
	for _, block := range blocks {
		if block.Type != "PRIVATE KEY" && !strings.HasSuffix(block.Type, " PRIVATE KEY") {
			continue
		}
		if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
			if s, ok := k.(crypto.Signer); ok {
				return s, nil
			}
			return nil, fmt.Errorf("holds a %T key, which cannot sign", k)
		}
		if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
			return k, nil
		}
		if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
			return k, nil
		}
		return nil, fmt.Errorf("holds a %s block that is not a PKCS#8, PKCS#1 or SEC 1 key", block.Type)
	}
	return nil, errors.New("holds no PEM private key block")
}

func publicKeyMatches(pub any, key crypto.Signer) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		e, ok := pub.(equaler)
		return ok && e.Equal(key.Public())
	}
	return false
}

// hasUsage reports whether crypto/x509 accepts c for usage. A
// certificate without extended key usages is accepted for any, as Go's
// verifier does.
func hasUsage(c *x509.Certificate, usage x509.ExtKeyUsage) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == usage || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

func usageName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageAny:
		return "any"
	}
	return fmt.Sprintf("usage(%d)", int(u))
}

func usageNames(us []x509.ExtKeyUsage) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, usageName(u))
	}
	return out
}

func peerRole(role string) string {
	if role == "server" {
		return "client"
	}
	return "server"
}
