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
	"time"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// TLSTarget is a way of running a TLS server, judged by the TLS
// scenarios: how it takes up a rotated certificate, and what it tells
// its operator about a failed handshake.
type TLSTarget struct {
	// Name labels the target's column in the scorecard's TLS table.
	Name string `json:"name"`

	// ServeFiles loads the certificate and key from certFile and keyFile
	// and completes a TLS handshake on each connection accepted from l
	// (see [ServeHandshakes]), in the background. It returns reload,
	// which makes the server take up new content of the files without a
	// restart, or nil when the target can take it up only by being
	// restarted; and stop, which closes l and every connection and
	// returns when the server's goroutines have ended.
	ServeFiles func(l net.Listener, certFile, keyFile string) (reload func() error, stop func(), err error) `json:"-"`

	// Explain turns the error of a failed handshake into what the
	// operator reads: the kind of failure it names (empty when it names
	// none) and the message. trusted are the CA certificates the side
	// that failed trusts.
	Explain func(err error, trusted []*x509.Certificate) (kind, message string) `json:"-"`
}

// TLSScenario is one TLS fault, run against one [TLSTarget] at a time.
type TLSScenario struct {
	// Name is the stable, kebab-case identifier ("tls-rotation").
	Name string `json:"name"`
	// Description says what the scenario does, in a sentence or two.
	Description string `json:"description"`
	// Expect is what harden must do, in one line.
	Expect string `json:"expect"`
	// Run runs the scenario against t and measures the outcome. It stops
	// by itself within a few seconds, sooner when ctx ends, and leaves
	// no goroutine, connection or file behind. It is safe to call
	// concurrently.
	Run func(ctx context.Context, t TLSTarget) TLSOutcome `json:"-"`
}

// TLSOutcome is what one run of a TLS scenario measured. A figure that
// does not apply to the scenario is zero.
type TLSOutcome struct {
	// Defended reports whether the scenario's expectation held.
	Defended bool `json:"defended"`
	// Summary is a short human figure.
	Summary string `json:"summary"`
	// Handshakes and Failed count the handshakes the clients attempted
	// during a certificate rotation, and those that failed.
	Handshakes int `json:"handshakes,omitempty"`
	Failed     int `json:"failed,omitempty"`
	// Restarted reports that the target had to be restarted to take up
	// the rotated certificate.
	Restarted bool `json:"restarted,omitempty"`
	// NewCertServedWithoutRestart reports that, right after the
	// rotation and before any restart, a client trusting only the new
	// CA was served the new certificate.
	NewCertServedWithoutRestart bool `json:"new_cert_served_without_restart,omitempty"`
	// NewCertServedAtEnd reports that such a client was served at the
	// end of the run, after a restart if there was one.
	NewCertServedAtEnd bool `json:"new_cert_served_at_end,omitempty"`
	// Diagnoses are the messages of each broken handshake.
	Diagnoses []Diagnosis `json:"diagnoses,omitempty"`
	// Err says why the scenario could not be run; Defended is then
	// false.
	Err string `json:"error,omitempty"`
}

// Diagnosis is what an operator reads about one broken handshake.
type Diagnosis struct {
	// Variant names the misconfiguration ("expired").
	Variant string `json:"variant"`
	// Want is the kind of failure that names it, as tlsx.Kind spells
	// it; Kind is the kind the target named, empty when none.
	Want string `json:"want_kind"`
	Kind string `json:"kind,omitempty"`
	// Message is what the target said.
	Message string `json:"message"`
	// Explained reports that the target named the right kind with a
	// message.
	Explained bool `json:"explained"`
}

// Against runs s against each target at the same time and returns the
// outcomes in the order of targets.
func (s TLSScenario) Against(ctx context.Context, targets ...TLSTarget) []TLSOutcome {
	out := make([]TLSOutcome, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { out[i] = s.Run(ctx, t) })
	}
	wg.Wait()
	return out
}

// AllTLS returns every TLS scenario, in the order the scorecard runs
// them (after the HTTP ones).
func AllTLS() []TLSScenario {
	return []TLSScenario{tlsRotation(), tlsDiagnosis()}
}

// FindTLS returns the TLS scenario called name.
func FindTLS(name string) (TLSScenario, bool) {
	for _, s := range AllTLS() {
		if s.Name == name {
			return s, true
		}
	}
	return TLSScenario{}, false
}

// LoadOnce is the TLS baseline: the server most Go services run, which
// calls tls.LoadX509KeyPair once at start and serves that certificate
// until it is restarted, and whose operators read crypto/tls's errors
// as they are.
func LoadOnce() TLSTarget {
	return TLSTarget{
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
func withPKI(body func(p *pki) TLSOutcome) (o TLSOutcome) {
	root, err := os.MkdirTemp("", "harden-tls-scenario-")
	if err != nil {
		return TLSOutcome{Summary: "no PKI", Err: fmt.Sprintf("temporary directory: %v", err)}
	}
	defer os.RemoveAll(root)
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(pkiError)
			if !ok {
				panic(r)
			}
			o = TLSOutcome{Summary: "no PKI", Err: pe.msg}
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
