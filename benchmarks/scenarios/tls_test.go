package scenarios

import (
	"context"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// reloading is a TLS target that takes up new files with tlsx.
func reloading() Target {
	return Target{
		Name: "tlsx",
		ServeFiles: func(l net.Listener, certFile, keyFile string) (func() error, func(), error) {
			src, err := tlsx.NewServerSource(context.Background(), tlsx.ServerConfig{CertFile: certFile, KeyFile: keyFile, ReloadInterval: -1})
			if err != nil {
				return nil, nil, err
			}
			stop := ServeHandshakes(l, src.TLSConfig())
			return src.Reload, func() { stop(); src.Close() }, nil
		},
		Explain: func(err error, trusted []*x509.Certificate) (string, string) {
			he := tlsx.Explain(err, trusted...)
			return string(he.Kind), he.Message
		},
	}
}

func TestTLSScenarios(t *testing.T) {
	for _, s := range Of(TLS) {
		t.Run(s.Name, func(t *testing.T) {
			out := s.Against(context.Background(), Bounds{}, LoadOnce(), reloading())
			base, h := out[0], out[1]
			if base.Err != "" || h.Err != "" {
				t.Fatalf("errors: %q, %q", base.Err, h.Err)
			}
			if base.Defended || !h.Defended {
				t.Errorf("defended: load once %v (%s), tlsx %v (%s); want only tlsx", base.Defended, base.Summary, h.Defended, h.Summary)
			}
		})
	}
	if s, ok := Find("tls-rotation"); !ok || s.Kind != TLS {
		t.Errorf("Find(tls-rotation) = %+v, %v; want the TLS scenario", s, ok)
	}
}

// The scenario's files are removed when it ends, and a failure to make
// them is the outcome's Err.
func TestWithPKICleansUp(t *testing.T) {
	var dir string
	o := withPKI(func(d string) Outcome {
		dir = d
		if _, err := tlstest.NewCAIn(filepath.Join(d, "missing")); err != nil {
			return noPKI(err)
		}
		return Outcome{Defended: true}
	})
	if o.Defended || !strings.HasPrefix(o.Err, "tlstest: ") {
		t.Errorf("outcome = %+v, want the failure as Err", o)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the PKI directory %s is left behind: %v", dir, err)
	}
}
