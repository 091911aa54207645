package tlsx_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// tlsServer accepts connections on loopback with cfg, completes each
// handshake and records the client certificate's serial, until t ends.
type tlsServer struct {
	addr string
	mu   sync.Mutex
	errs []error
	peer []string // client certificate serials, in order
}

func serve(t *testing.T, cfg *tls.Config) *tlsServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tlsServer{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tc := tls.Server(c, cfg)
				defer tc.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				err := tc.HandshakeContext(ctx)
				s.mu.Lock()
				defer s.mu.Unlock()
				if err != nil {
					s.errs = append(s.errs, err)
					return
				}
				if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
					s.peer = append(s.peer, pc[0].SerialNumber.String())
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return s
}

func (s *tlsServer) serverErrors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

func (s *tlsServer) lastPeer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.peer) == 0 {
		return ""
	}
	return s.peer[len(s.peer)-1]
}

// dial runs one handshake with the server and returns the serial of the
// server's certificate.
func (s *tlsServer) dial(cfg *tls.Config) (string, error) {
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost"
	}
	d := tls.Dialer{Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	tc := c.(*tls.Conn)
	// Read until the server closes: under TLS 1.3 a refused client
	// certificate shows only here.
	if _, err := tc.Read(make([]byte, 1)); err != nil && !errors.Is(err, net.ErrClosed) && err.Error() != "EOF" {
		return "", err
	}
	return tc.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

// hammer runs handshakes against s from a goroutine, at most max of
// them, until stopped. stop returns how many ran and every failure.
func hammer(t *testing.T, s *tlsServer, cfg *tls.Config, max int) (progress <-chan int, stop func() (int, []error)) {
	t.Helper()
	done := make(chan struct{})
	prog := make(chan int, max)
	var (
		n    int
		errs []error
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n < max {
			select {
			case <-done:
				return
			default:
			}
			if _, err := s.dial(cfg); err != nil {
				errs = append(errs, err)
			}
			n++
			prog <- n
		}
	}()
	var once sync.Once
	stop = func() (int, []error) {
		once.Do(func() { close(done) })
		wg.Wait()
		return n, errs
	}
	t.Cleanup(func() { stop() })
	return prog, stop
}

// waitFor reads progress until n handshakes ran or the goroutine ended.
func waitFor(progress <-chan int, n int) {
	for i := range progress {
		if i >= n {
			return
		}
	}
}

// A rotation published the way the kubelet publishes secrets is picked
// up by Reload on both sides, and no handshake fails across it.
func TestReloadKubernetesRotation(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv1, srv2 := ca.Server(t), ca.Server(t)
	cli1, cli2 := ca.Client(t), ca.Client(t)
	sv := tlstest.NewSecretVolume(t, map[string]string{"tls.crt": srv1.CertFile, "tls.key": srv1.KeyFile, "ca.crt": ca.CertFile})
	cv := tlstest.NewSecretVolume(t, map[string]string{"tls.crt": cli1.CertFile, "tls.key": cli1.KeyFile, "ca.crt": ca.CertFile})
	ssrc := newServer(t, tlsx.ServerConfig{
		CertFile: sv.Path("tls.crt"), KeyFile: sv.Path("tls.key"), ClientCAFile: sv.Path("ca.crt"), ReloadInterval: -1,
	})
	csrc := newClient(t, tlsx.ClientConfig{
		CertFile: cv.Path("tls.crt"), KeyFile: cv.Path("tls.key"), CAFile: cv.Path("ca.crt"), ReloadInterval: -1,
	})
	s := serve(t, ssrc.TLSConfig())

	progress, stop := hammer(t, s, csrc.TLSConfig(), 5000)
	waitFor(progress, 20)
	sv.Update(t, map[string]string{"tls.crt": srv2.CertFile, "tls.key": srv2.KeyFile, "ca.crt": ca.CertFile})
	cv.Update(t, map[string]string{"tls.crt": cli2.CertFile, "tls.key": cli2.KeyFile, "ca.crt": ca.CertFile})
	if err := ssrc.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := csrc.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor(progress, 40)
	n, errs := stop()
	if len(errs) > 0 || len(s.serverErrors()) > 0 {
		t.Fatalf("%d of %d handshakes failed across the rotation: client %v, server %v", len(errs), n, errs, s.serverErrors())
	}

	serial, err := s.dial(csrc.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	if want := srv2.Certificate.SerialNumber.String(); serial != want {
		t.Errorf("server certificate after Reload = %s, want the new one %s", serial, want)
	}
	if got, want := s.lastPeer(), cli2.Certificate.SerialNumber.String(); got != want {
		t.Errorf("client certificate after Reload = %s, want the new one %s", got, want)
	}
	if st := ssrc.State(); st.Reloads != 1 || !st.NotAfter.Equal(srv2.Certificate.NotAfter) || st.LastError != nil {
		t.Errorf("server State() = %+v", st)
	}
}

// A half-written pair (the new certificate with the old key), a missing
// file and garbage are refused: the last good certificate stays in
// use, handshakes keep succeeding, and each bad version is logged once.
func TestReloadKeepsLastGood(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv1, srv2 := ca.Server(t), ca.Server(t)
	dir := t.TempDir()
	certFile, keyFile := dir+"/tls.crt", dir+"/tls.key"
	copyFile(t, certFile, srv1.CertFile)
	copyFile(t, keyFile, srv1.KeyFile)
	core, logs := observer.New(zap.WarnLevel)
	src := newServer(t, tlsx.ServerConfig{CertFile: certFile, KeyFile: keyFile, ReloadInterval: -1}, tlsx.WithLogger(zap.New(core)))
	s := serve(t, src.TLSConfig())
	progress, stop := hammer(t, s, ca.ClientConfig(nil), 5000)
	waitFor(progress, 10)

	old := srv1.Certificate.SerialNumber.String()
	steps := []struct {
		name  string
		write func()
		rule  string
	}{
		{"new certificate, old key", func() { copyFile(t, certFile, srv2.CertFile) }, "tls.key_file key-pair"},
		{"key missing", func() {
			if err := os.Remove(keyFile); err != nil {
				t.Fatal(err)
			}
		}, "tls.key_file file"},
		{"expired pair", func() {
			expired := ca.Issuing(tlstest.Expired).Server(t)
			copyFile(t, certFile, expired.CertFile)
			copyFile(t, keyFile, expired.KeyFile)
		}, "tls.cert_file validity"},
		{"certificate truncated", func() {
			copyFile(t, keyFile, srv2.KeyFile)
			if err := os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\nMIIB"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "tls.cert_file file"},
	}
	for i, step := range steps {
		step.write()
		for range 2 { // the same bad version twice
			if got := rules(src.Reload()); !slices.Equal(got, []string{step.rule}) {
				t.Fatalf("%s: Reload() = %q, want %s", step.name, got, step.rule)
			}
		}
		if n := len(logs.FilterMessageSnippet("refused").All()); n != i+1 {
			t.Errorf("%s: %d refusals logged, want one per bad version (%d)", step.name, n, i+1)
		}
		if serial, err := s.dial(ca.ClientConfig(nil)); err != nil || serial != old {
			t.Errorf("%s: served %s (%v), want the last good %s", step.name, serial, err, old)
		}
		if st := src.State(); st.LastError == nil || st.Reloads != 0 {
			t.Errorf("%s: State() = %+v", step.name, st)
		}
	}

	copyFile(t, certFile, srv2.CertFile)
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor(progress, 20)
	n, errs := stop()
	if len(errs) > 0 || len(s.serverErrors()) > 0 {
		t.Fatalf("%d of %d handshakes failed: client %v, server %v", len(errs), n, errs, s.serverErrors())
	}
	if serial, err := s.dial(ca.ClientConfig(nil)); err != nil || serial != srv2.Certificate.SerialNumber.String() {
		t.Errorf("after the good version: served %s (%v), want the new certificate", serial, err)
	}
	if st := src.State(); st.LastError != nil || st.Reloads != 1 || st.Failures != 8 {
		t.Errorf("State() = %+v, want 1 reload, 8 failures, no error", st)
	}
}

// During a CA rotation the CA file holds both CAs and clients of both
// are accepted; once the old CA leaves the file its clients are refused.
func TestReloadCARotation(t *testing.T) {
	oldCA, newCA := tlstest.NewCA(t), tlstest.NewCA(t)
	srv := oldCA.Server(t)
	bundle := concat(t, oldCA.CertFile, newCA.CertFile)
	v := tlstest.NewSecretVolume(t, map[string]string{"ca.crt": oldCA.CertFile})
	src := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: v.Path("ca.crt"), ReloadInterval: -1})
	oldCli, newCli := oldCA.ClientConfig(oldCA.Client(t)), oldCA.ClientConfig(newCA.Client(t))

	ok(t, handshake(t, src.TLSConfig(), oldCli))
	v.Update(t, map[string]string{"ca.crt": bundle})
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	ok(t, handshake(t, src.TLSConfig(), oldCli))
	ok(t, handshake(t, src.TLSConfig(), newCli))
	v.Update(t, map[string]string{"ca.crt": newCA.CertFile})
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	ok(t, handshake(t, src.TLSConfig(), newCli))
	// A Go client sends no certificate of a CA the server no longer
	// lists, so the refusal is a missing certificate.
	if r := handshake(t, src.TLSConfig(), oldCli); r.ServerErr == nil || r.ClientErr == nil {
		t.Errorf("old client after the rotation was accepted")
	}
}

// Polling picks up new files without Reload, and stops with Close.
func TestPolling(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv1, srv2 := ca.Server(t), ca.Server(t)
	v := tlstest.NewSecretVolume(t, map[string]string{"tls.crt": srv1.CertFile, "tls.key": srv1.KeyFile})
	ticks := make(chan time.Time)
	src, err := tlsx.NewServerSource(t.Context(), tlsx.ServerConfig{CertFile: v.Path("tls.crt"), KeyFile: v.Path("tls.key")}, tlsx.WithTicks(ticks))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	v.Update(t, map[string]string{"tls.crt": srv2.CertFile, "tls.key": srv2.KeyFile})
	ticks <- time.Time{}
	ticks <- time.Time{} // received only once the first poll has finished
	if st := src.State(); st.Reloads != 1 || !st.Leaf.Equal(srv2.Certificate) {
		t.Errorf("after a poll: State() = %+v, want the new certificate", st)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Reload(); !errors.Is(err, tlsx.ErrClosed) {
		t.Errorf("Reload after Close = %v, want ErrClosed", err)
	}
}

// The polling goroutine also ends with the context it was given.
func TestPollingStopsWithContext(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	ctx, cancel := context.WithCancel(context.Background())
	src, err := tlsx.NewServerSource(ctx, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cancel()
	goleak.VerifyNone(t) // the poller is gone without Close
}

// A client's CA file is reloaded too: a server of a new CA is refused,
// accepted once the file holds both CAs, and the old CA's servers are
// refused once it holds the new one only.
func TestReloadClientCARotation(t *testing.T) {
	oldCA, newCA := tlstest.NewCA(t), tlstest.NewCA(t)
	v := tlstest.NewSecretVolume(t, map[string]string{"ca.crt": oldCA.CertFile})
	src := newClient(t, tlsx.ClientConfig{CAFile: v.Path("ca.crt"), ReloadInterval: -1})
	oldSrv, newSrv := oldCA.ServerConfig(t, nil), newCA.ServerConfig(t, nil)

	ok(t, handshake(t, oldSrv, src.TLSConfig()))
	if r := handshake(t, newSrv, src.TLSConfig()); r.ClientErr == nil {
		t.Fatal("a server of the new CA was accepted before the rotation")
	}
	v.Update(t, map[string]string{"ca.crt": concat(t, oldCA.CertFile, newCA.CertFile)})
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	ok(t, handshake(t, oldSrv, src.TLSConfig()))
	ok(t, handshake(t, newSrv, src.TLSConfig()))
	v.Update(t, map[string]string{"ca.crt": newCA.CertFile})
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	r := handshake(t, oldSrv, src.TLSConfig())
	var unknown x509.UnknownAuthorityError
	if !errors.As(r.ClientErr, &unknown) {
		t.Errorf("old CA's server after the rotation: %v, want x509.UnknownAuthorityError", r.ClientErr)
	}
}
