package scenarios

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
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

// withPKI runs body with a fresh directory for the scenario's
// certificates, keys and volumes, and removes it afterwards.
func withPKI(body func(dir string) Outcome) Outcome {
	dir, err := os.MkdirTemp("", "harden-tls-scenario-")
	if err != nil {
		return noPKI(fmt.Errorf("temporary directory: %w", err))
	}
	defer os.RemoveAll(dir)
	return body(dir)
}

// noPKI is the outcome of a scenario whose certificates or files could
// not be made.
func noPKI(err error) Outcome {
	return Outcome{Summary: "no PKI", Err: err.Error()}
}
