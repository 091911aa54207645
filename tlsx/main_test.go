package tlsx_test

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"go.uber.org/goleak"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type result = tlstest.HandshakeResult

// handshake runs one TLS handshake over loopback (see tlstest.Handshake).
func handshake(t *testing.T, srvCfg, cliCfg *tls.Config) result {
	t.Helper()
	return tlstest.Handshake(t, srvCfg, cliCfg)
}

// ok fails the test unless both sides of r succeeded.
func ok(t *testing.T, r result) {
	t.Helper()
	if r.ClientErr != nil || r.ServerErr != nil {
		t.Fatalf("handshake failed: client: %v; server: %v", r.ClientErr, r.ServerErr)
	}
}

// rules lists the "field rule" pairs of the ConfigErrors in err, sorted.
func rules(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if ce, ok := err.(*tlsx.ConfigError); ok {
			out = append(out, ce.Field+" "+ce.Rule)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	sort.Strings(out)
	return out
}

// copyFile overwrites dst with src's content in place, as a careless
// deployment script does.
func copyFile(t *testing.T, dst, src string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// concat writes the contents of files, in order, into a new file.
func concat(t *testing.T, files ...string) string {
	t.Helper()
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	name := filepath.Join(t.TempDir(), "concat.pem")
	if err := os.WriteFile(name, all, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// newServer starts a ServerSource that Close stops when t ends.
func newServer(t *testing.T, cfg tlsx.ServerConfig, opts ...tlsx.ServerOption) *tlsx.ServerSource {
	t.Helper()
	src, err := tlsx.NewServerSource(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// newClient starts a ClientSource that Close stops when t ends.
func newClient(t *testing.T, cfg tlsx.ClientConfig, opts ...tlsx.ClientOption) *tlsx.ClientSource {
	t.Helper()
	src, err := tlsx.NewClientSource(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// leafOnly writes the first certificate of c's file alone to a new file.
func leafOnly(t *testing.T, c *tlstest.Cert) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "leaf.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate.Raw})
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}
