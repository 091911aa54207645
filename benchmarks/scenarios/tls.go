package scenarios

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// LoadOnce is the TLS baseline: the server most Go services run, which
// calls tls.LoadX509KeyPair once at start and serves that certificate
// until it is restarted, and whose operators read crypto/tls's errors
// as they are.
func LoadOnce() Target {
	return Target{
		Name: "crypto/tls load once",
		ServeFiles: func(l net.Listener, certFile, keyFile string) (func() error, func(), error) {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, nil, err
			}
			return nil, ServeHandshakes(l, &tls.Config{Certificates: []tls.Certificate{cert}}), nil
		},
		Explain: func(err error, _ []*x509.Certificate) (string, string) { return "", err.Error() },
	}
}

// handshakeTimeout bounds every handshake of the TLS scenarios.
const handshakeTimeout = 5 * time.Second

// ServeHandshakes completes a TLS handshake with cfg on each connection
// accepted from l, in the background, and closes the connection. Under
// TLS 1.3 it then waits briefly for the client to close, so the session
// tickets it sent after the handshake are read. The returned stop closes
// l and every open connection and waits for the goroutines.
func ServeHandshakes(l net.Listener, cfg *tls.Config) (stop func()) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = make(map[net.Conn]struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				tc := tls.Server(c, cfg)
				_ = tc.SetDeadline(time.Now().Add(handshakeTimeout))
				if tc.Handshake() != nil {
					return
				}
				_ = tc.CloseWrite()
				_, _ = tc.Read(make([]byte, 1))
			})
		}
	}()
	return func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

// pki is the tlstest.TB of a TLS scenario outside tests: its temporary
// directories live under one directory that cleanup removes, and Fatalf
// panics with a pkiError, which run turns into the outcome's Err.
type pki struct {
	root string
}

type pkiError struct{ msg string }

func (p *pki) Helper() {}

func (p *pki) Fatalf(format string, args ...any) {
	panic(pkiError{fmt.Sprintf(format, args...)})
}

func (p *pki) TempDir() string {
	dir, err := os.MkdirTemp(p.root, "pki-")
	if err != nil {
		p.Fatalf("scenarios: temporary directory: %v", err)
	}
	return dir
}

var _ tlstest.TB = (*pki)(nil)

// withPKI runs body with a fresh pki, removes its files afterwards, and
// reports a failure to build certificates or files as the outcome's Err.
func withPKI(body func(p *pki) Outcome) (o Outcome) {
	root, err := os.MkdirTemp("", "harden-tls-scenario-")
	if err != nil {
		return Outcome{Summary: "no PKI", Err: fmt.Sprintf("temporary directory: %v", err)}
	}
	defer os.RemoveAll(root)
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(pkiError)
			if !ok {
				panic(r)
			}
			o = Outcome{Summary: "no PKI", Err: pe.msg}
		}
	}()
	return body(&pki{root: root})
}

// kubeVolume is a directory laid out as the kubelet lays out a secret
// volume: each file a symlink "name -> ..data/name", ..data a symlink
// to the directory of the current version.
type kubeVolume struct {
	dir string
	n   int
	cur string
}

// newKubeVolume publishes files (name -> source file) as the first
// version of a volume in a new directory under p.
func newKubeVolume(p *pki, files map[string]string) *kubeVolume {
	v := &kubeVolume{dir: p.TempDir()}
	v.update(p, files)
	for name := range files {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(v.dir, name)); err != nil {
			p.Fatalf("scenarios: volume: %v", err)
		}
	}
	return v
}

func (v *kubeVolume) path(name string) string { return filepath.Join(v.dir, name) }

// update publishes a new version as the kubelet's atomic writer does:
// a new directory, ..data_tmp pointed at it and renamed over ..data,
// the old directory removed.
func (v *kubeVolume) update(p *pki, files map[string]string) {
	v.n++
	ts := fmt.Sprintf("..2026_01_01_00_00_00.%03d", v.n)
	if err := os.Mkdir(filepath.Join(v.dir, ts), 0o755); err != nil {
		p.Fatalf("scenarios: volume: %v", err)
	}
	for name, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			p.Fatalf("scenarios: volume: %v", err)
		}
		if err := os.WriteFile(filepath.Join(v.dir, ts, name), b, 0o600); err != nil {
			p.Fatalf("scenarios: volume: %v", err)
		}
	}
	tmp := filepath.Join(v.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		p.Fatalf("scenarios: volume: %v", err)
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, "..data")); err != nil {
		p.Fatalf("scenarios: volume: %v", err)
	}
	if v.cur != "" {
		if err := os.RemoveAll(filepath.Join(v.dir, v.cur)); err != nil {
			p.Fatalf("scenarios: volume: %v", err)
		}
	}
	v.cur = ts
}
