package httpx

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// mtlsServer serves, over HTTP/2 and TLS, the serial number of the client
// certificate each request's connection presented; it requires one
// issued by ca.
func mtlsServer(t *testing.T, ca *tlstest.CA) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.PeerCertificates[0].SerialNumber.String())
	}))
	ts.TLS = ca.MTLSServerConfig(t, nil)
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
}

// client.tls alone gives mTLS: the client trusts ca_file and presents
// cert_file.
func TestClientMTLSFromConfig(t *testing.T) {
	ca := tlstest.NewCA(t)
	cli := ca.Client(t)
	url := mtlsServer(t, ca)
	var cfg ClientConfig
	cfg.TLS = tlsx.ClientConfig{CAFile: ca.CertFile, CertFile: cli.CertFile, KeyFile: cli.KeyFile}
	cl := newTestClient(t, cfg)
	resp, serial := get(t, cl, url)
	checkProto(t, http2Mode, resp)
	if serial != cli.Certificate.SerialNumber.String() {
		t.Errorf("the server saw certificate %s, want %s", serial, cli.Certificate.SerialNumber)
	}
}

// copyFile replaces dst with src's content in one rename, as a
// certificate rotation does.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// A client certificate rotated on disk is presented on the next new
// connection, without rebuilding the client.
func TestClientPresentsRotatedCertificate(t *testing.T) {
	ca := tlstest.NewCA(t)
	first, second := ca.Client(t), ca.Client(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	copyFile(t, first.CertFile, certFile)
	copyFile(t, first.KeyFile, keyFile)
	src, err := tlsx.NewClientSource(t.Context(), tlsx.ClientConfig{
		CAFile: ca.CertFile, CertFile: certFile, KeyFile: keyFile, ReloadInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	url := mtlsServer(t, ca)
	cl := newTestClient(t, ClientConfig{}, WithClientTLSSource(src))

	if _, serial := get(t, cl, url); serial != first.Certificate.SerialNumber.String() {
		t.Fatalf("before the rotation the server saw %s, want %s", serial, first.Certificate.SerialNumber)
	}
	copyFile(t, second.CertFile, certFile)
	copyFile(t, second.KeyFile, keyFile)
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	cl.CloseIdleConnections()
	if _, serial := get(t, cl, url); serial != second.Certificate.SerialNumber.String() {
		t.Errorf("after the rotation the server saw %s, want the new %s", serial, second.Certificate.SerialNumber)
	}
}

// A setting that another would silently override is refused.
func TestClientRefusesIgnoredTLS(t *testing.T) {
	ca := tlstest.NewCA(t)
	src, err := tlsx.NewClientSource(t.Context(), tlsx.ClientConfig{CAFile: ca.CertFile, ReloadInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	withCA := ClientConfig{TLS: tlsx.ClientConfig{CAFile: ca.CertFile}}
	tests := []struct {
		name string
		cfg  ClientConfig
		opts []ClientOption
	}{
		{"a source and client.tls", withCA, []ClientOption{WithClientTLSSource(src)}},
		{"a base transport and client.tls", withCA, []ClientOption{WithBaseTransport(&http.Transport{})}},
		{"a base transport and a source", ClientConfig{}, []ClientOption{WithBaseTransport(&http.Transport{}), WithClientTLSSource(src)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewClient(tc.cfg, tc.opts...); !errors.Is(err, ErrTLSConflict) {
				t.Errorf("NewClient error %v, want ErrTLSConflict", err)
			}
		})
	}
	if _, err := NewTransport(withCA, WithClientTLSSource(src)); !errors.Is(err, ErrTLSConflict) {
		t.Errorf("NewTransport error %v, want ErrTLSConflict", err)
	}
}
