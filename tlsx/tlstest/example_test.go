package tlstest_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// An mTLS round trip over HTTPS: the server requires a client certificate
// from the test CA, and the handler reads the client's SPIFFE ID from the
// chain the server verified. In a test, pass t where the example passes tb.
func Example() {
	tb := newExampleTB()
	defer tb.cleanup()

	ca := tlstest.NewCA(tb)
	cli := ca.Client(tb, "spiffe://example.org/ns/a/sa/b")

	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s", r.TLS.VerifiedChains[0][0].URIs[0])
	}))
	ts.TLS = ca.MTLSServerConfig(tb, nil) // a loopback server certificate from ca
	ts.StartTLS()
	defer ts.Close()

	tr := &http.Transport{TLSClientConfig: ca.ClientConfig(cli)}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(ts.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output:
	// hello, spiffe://example.org/ns/a/sa/b
}

// Flawed certificates make a handshake fail for a known reason: here a
// client that trusts the CA rejects an expired server certificate.
func ExampleCA_Issuing() {
	tb := newExampleTB()
	defer tb.cleanup()

	ca := tlstest.NewCA(tb)
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is the point
	ts.TLS = ca.ServerConfig(tb, ca.Issuing(tlstest.Expired).Server(tb))
	ts.StartTLS()
	defer ts.Close()

	tr := &http.Transport{TLSClientConfig: ca.ClientConfig(nil)}
	defer tr.CloseIdleConnections()
	_, err := (&http.Client{Transport: tr}).Get(ts.URL)
	var invalid x509.CertificateInvalidError
	fmt.Println(errors.As(err, &invalid) && invalid.Reason == x509.Expired)
	// Output:
	// true
}

// exampleTB stands in for the *testing.T a test passes.
type exampleTB struct{ dir string }

func newExampleTB() *exampleTB {
	dir, err := os.MkdirTemp("", "tlstest-example-")
	if err != nil {
		panic(err)
	}
	return &exampleTB{dir: dir}
}

func (e *exampleTB) Helper()                           {}
func (e *exampleTB) TempDir() string                   { return e.dir }
func (e *exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (e *exampleTB) cleanup()                          { os.RemoveAll(e.dir) }

// Outside tests, such as in a benchmark scenario or a demo, the In forms
// write their files in a directory the caller owns and return errors
// instead of failing a test.
func ExampleNewCAIn() {
	dir, err := os.MkdirTemp("", "pki-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ca, err := tlstest.NewCAIn(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := ca.ServerIn(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = tls.LoadX509KeyPair(srv.CertFile, srv.KeyFile)
	fmt.Println(err, filepath.Dir(srv.CertFile) == dir)

	_, err = ca.Issuing(tlstest.NotCA).ServerIn(dir)
	fmt.Println(err)
	// Output:
	// <nil> true
	// tlstest: server certificate: flaw NotCA applies to CAs only
}

// A certificate rotated the way the kubelet rotates a mounted secret:
// code that reads the path sees the old pair, then the new one, never a
// mix. In a test, pass t where the example passes tb.
func ExampleSecretVolume() {
	tb := newExampleTB()
	defer tb.cleanup()

	ca := tlstest.NewCA(tb)
	v1, v2 := ca.Server(tb), ca.Server(tb)
	vol := tlstest.NewSecretVolume(tb, map[string]string{"tls.crt": v1.CertFile, "tls.key": v1.KeyFile})
	certFile, keyFile := vol.Path("tls.crt"), vol.Path("tls.key")

	served := func() string {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		switch {
		case err != nil:
			return err.Error()
		case pair.Leaf.Equal(v1.Certificate):
			return "v1"
		case pair.Leaf.Equal(v2.Certificate):
			return "v2"
		}
		return "?"
	}
	fmt.Println(served())
	vol.Update(tb, map[string]string{"tls.crt": v2.CertFile, "tls.key": v2.KeyFile})
	fmt.Println(served())
	// Output:
	// v1
	// v2
}
