package scenarios

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// Bounds of the rotation scenario: rotationClients dial in a loop, each
// at most rotationMaxHandshakes times, for at most rotationMax; the
// certificate rotates rotationPhase after the start, and the clients
// stop rotationPhase after the rotation (and any restart).
const (
	rotationClients       = 4
	rotationMaxHandshakes = 5000
	rotationMax           = 3 * time.Second
	rotationPhase         = 300 * time.Millisecond
	rotationRetryPause    = 5 * time.Millisecond // after a failed handshake
)

func tlsRotation() Scenario {
	return Scenario{
		Name: "tls-rotation",
		Description: fmt.Sprintf("%d clients handshake in a loop (for at most %v) with a server whose certificate and key a kubelet-style secret volume (..data symlink) replaces with ones from a new CA; a server that cannot take up new files is restarted, as its operators must. The clients trust both CAs; a new client trusts only the new one.",
			rotationClients, rotationMax),
		Expect: "the new certificate is served without a restart, no handshake fails",
		Run:    runRotation,
	}
}

func runRotation(ctx context.Context, t Target, _ Bounds) Outcome {
	return withPKI(func(dir string) Outcome {
		oldCA, oldCert, err := caAndServer(dir)
		if err != nil {
			return noPKI(err)
		}
		newCA, newCert, err := caAndServer(dir)
		if err != nil {
			return noPKI(err)
		}
		volDir := filepath.Join(dir, "volume")
		if err := os.Mkdir(volDir, 0o755); err != nil {
			return noPKI(err)
		}
		vol, err := tlstest.NewSecretVolumeIn(volDir, map[string]string{"tls.crt": oldCert.CertFile, "tls.key": oldCert.KeyFile})
		if err != nil {
			return noPKI(err)
		}
		certFile, keyFile := vol.Path("tls.crt"), vol.Path("tls.key")

		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return Outcome{Summary: "no listener", Err: err.Error()}
		}
		addr := l.Addr().String()
		reload, stop, err := t.ServeFiles(l, certFile, keyFile)
		if err != nil {
			l.Close()
			return Outcome{Summary: "did not start", Err: err.Error()}
		}
		defer func() { stop() }()

		both := oldCA.Pool()
		both.AddCert(newCA.Certificate)
		ctx, cancel := context.WithTimeout(ctx, rotationMax)
		defer cancel()
		var attempted, failed atomic.Int64
		var wg sync.WaitGroup
		for range rotationClients {
			wg.Go(func() {
				cfg := &tls.Config{RootCAs: both, ServerName: "localhost"}
				for n := 0; n < rotationMaxHandshakes && ctx.Err() == nil; n++ {
					attempted.Add(1)
					if _, err := dialTLS(ctx, addr, cfg); err != nil {
						if ctx.Err() != nil {
							attempted.Add(-1) // cut short by the end of the run
							return
						}
						failed.Add(1)
						pause(ctx, rotationRetryPause)
					}
				}
			})
		}

		o := Outcome{}
		pause(ctx, rotationPhase)
		if err := vol.Publish(map[string]string{"tls.crt": newCert.CertFile, "tls.key": newCert.KeyFile}); err != nil {
			cancel()
			wg.Wait()
			return noPKI(err)
		}
		if reload != nil {
			if err := reload(); err != nil {
				cancel()
				wg.Wait()
				return Outcome{Summary: "reload refused", Err: err.Error()}
			}
		}
		newOnly := &tls.Config{RootCAs: newCA.Pool(), ServerName: "localhost"}
		o.NewCertServedWithoutRestart = servesCert(ctx, addr, newOnly, newCert)
		if reload == nil {
			// The only way to take up the new files: stop and start
			// again on the same address, as a rolling restart of one
			// replica does, only faster (no process to start).
			o.Restarted = true
			stop()
			stop = func() {}
			l, err := listenRetry(ctx, addr)
			if err != nil {
				cancel()
				wg.Wait()
				return Outcome{Summary: "did not restart", Err: err.Error()}
			}
			_, stop2, err := t.ServeFiles(l, certFile, keyFile)
			if err != nil {
				l.Close()
				cancel()
				wg.Wait()
				return Outcome{Summary: "did not restart", Err: err.Error()}
			}
			stop = stop2
		}
		pause(ctx, rotationPhase)
		o.NewCertServedAtEnd = servesCert(ctx, addr, newOnly, newCert)
		cancel()
		wg.Wait()

		o.Handshakes, o.Failed = int(attempted.Load()), int(failed.Load())
		o.Defended = o.Failed == 0 && o.NewCertServedWithoutRestart
		switch {
		case o.Restarted:
			o.Summary = fmt.Sprintf("%d handshakes, %d failed; new cert refused until a restart", o.Handshakes, o.Failed)
		case o.NewCertServedWithoutRestart:
			o.Summary = fmt.Sprintf("%d handshakes, %d failed; new cert served without restart", o.Handshakes, o.Failed)
		default:
			o.Summary = fmt.Sprintf("%d handshakes, %d failed; new cert not served", o.Handshakes, o.Failed)
		}
		return o
	})
}

// caAndServer makes a new root CA in dir and a loopback server
// certificate it issues.
func caAndServer(dir string) (*tlstest.CA, *tlstest.Cert, error) {
	ca, err := tlstest.NewCAIn(dir)
	if err != nil {
		return nil, nil, err
	}
	srv, err := ca.ServerIn(dir)
	return ca, srv, err
}

// dialTLS runs one handshake with the server at addr and returns the
// certificate it presented.
func dialTLS(ctx context.Context, addr string, cfg *tls.Config) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState().PeerCertificates[0], nil
}

// servesCert reports whether a client with cfg completes a handshake
// with the server at addr and is served want.
func servesCert(ctx context.Context, addr string, cfg *tls.Config, want *tlstest.Cert) bool {
	got, err := dialTLS(ctx, addr, cfg)
	return err == nil && got.Equal(want.Certificate)
}

// listenRetry listens on addr again after a server on it stopped,
// retrying briefly while the port is still being released.
func listenRetry(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	for i := 0; ; i++ {
		l, err := lc.Listen(ctx, "tcp", addr)
		if err == nil || i == 50 || ctx.Err() != nil {
			return l, err
		}
		pause(ctx, 10*time.Millisecond)
	}
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
