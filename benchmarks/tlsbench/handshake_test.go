package tlsbench

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// server completes a handshake on each accepted connection, closes its
// side for writing (the client's read then returns EOF after any
// session tickets) and closes the connection once the client has.
type server struct {
	l    net.Listener
	wg   sync.WaitGroup
	addr string
}

func serve(tb testing.TB, cfg *tls.Config) *server {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &server{l: l, addr: l.Addr().String()}
	s.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() {
				defer c.Close()
				tc := tls.Server(c, cfg)
				_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				_ = tc.CloseWrite()
				_, _ = tc.Read(make([]byte, 1))
			})
		}
	})
	tb.Cleanup(func() {
		l.Close()
		s.wg.Wait()
	})
	return s
}

// handshake dials s with cfg, completes the handshake, reads until the
// server's close (processing TLS 1.3 session tickets) and returns the
// connection's state.
func (s *server) handshake(cfg *tls.Config) (tls.ConnectionState, error) {
	raw, err := net.Dial("tcp", s.addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	c := tls.Client(raw, cfg)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		return tls.ConnectionState{}, err
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		return tls.ConnectionState{}, err
	}
	return c.ConnectionState(), nil
}

// variant is one server setup: how its config is built, and the client
// config that talks to it.
type variant struct {
	name   string
	server func(tb testing.TB, ca *tlstest.CA, srv *tlstest.Cert) *tls.Config
	mtls   bool
	// maxVersion caps the client's version; zero: TLS 1.3. Under TLS 1.2
	// a resumption skips the key exchange and the certificate; under
	// TLS 1.3 it still runs an (EC)DHE exchange (psk_dhe_ke).
	maxVersion uint16
}

// variants lists plain crypto/tls first, then tlsx.
func variants() []variant {
	return []variant{
		{name: "crypto-tls", server: func(tb testing.TB, ca *tlstest.CA, srv *tlstest.Cert) *tls.Config {
			return ca.ServerConfig(tb, srv)
		}},
		{name: "crypto-tls-tls1.2", maxVersion: tls.VersionTLS12, server: func(tb testing.TB, ca *tlstest.CA, srv *tlstest.Cert) *tls.Config {
			return ca.ServerConfig(tb, srv)
		}},
		{name: "crypto-tls-mtls", mtls: true, server: func(tb testing.TB, ca *tlstest.CA, srv *tlstest.Cert) *tls.Config {
			return ca.MTLSServerConfig(tb, srv)
		}},
		{name: "tlsx", server: func(tb testing.TB, ca *tlstest.CA, srv *tlstest.Cert) *tls.Config {
			return source(tb, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile})
		}},
		{name: "tlsx-tls1.2", maxVersion: tls.VersionTLS12, server: func(tb testing.TB, ca *tlstest.CA, srv *tlstest.Cert) *tls.Config {
			return source(tb, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile})
		}},
		{name: "tlsx-mtls", mtls: true, server: func(tb testing.TB, ca *tlstest.CA, srv *tlstest.Cert) *tls.Config {
			return source(tb, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: ca.CertFile})
		}},
		{name: "tlsx-ticket-keys", server: func(tb testing.TB, ca *tlstest.CA, srv *tlstest.Cert) *tls.Config {
			keys := filepath.Join(tb.TempDir(), "ticket-keys")
			// Two keys, as during a rotation: the second only decrypts.
			line := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
			if err := os.WriteFile(keys, []byte(line), 0o600); err != nil {
				tb.Fatal(err)
			}
			return source(tb, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, TicketKeysFile: keys})
		}},
	}
}

// source starts a tlsx server source that never polls during the run.
func source(tb testing.TB, cfg tlsx.ServerConfig) *tls.Config {
	tb.Helper()
	cfg.ReloadInterval = -1
	src, err := tlsx.NewServerSource(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { src.Close() })
	return src.TLSConfig()
}

// setup starts v's server and returns it with a client config for it,
// with a session cache when resume is set.
func setup(tb testing.TB, v variant, resume bool) (*server, *tls.Config) {
	ca := tlstest.NewCA(tb)
	s := serve(tb, v.server(tb, ca, ca.Server(tb)))
	var cli *tlstest.Cert
	if v.mtls {
		cli = ca.Client(tb)
	}
	cfg := ca.ClientConfig(cli)
	cfg.ServerName = "localhost"
	cfg.MaxVersion = v.maxVersion
	if resume {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	return s, cfg
}

// Every variant completes full handshakes, and resumes when the client
// keeps a session cache: the benchmarks measure what they name.
func TestVariantsHandshakeAndResume(t *testing.T) {
	for _, v := range variants() {
		t.Run(v.name, func(t *testing.T) {
			s, cfg := setup(t, v, true)
			wantVersion := v.maxVersion
			if wantVersion == 0 {
				wantVersion = tls.VersionTLS13
			}
			for i, want := range []bool{false, true, true} {
				st, err := s.handshake(cfg)
				if err != nil || st.DidResume != want || st.Version != wantVersion {
					t.Fatalf("handshake %d: resumed %v, version %x, err %v; want resumed %v, version %x", i+1, st.DidResume, st.Version, err, want, wantVersion)
				}
			}
		})
	}
}

func BenchmarkHandshake(b *testing.B) {
	for _, v := range variants() {
		for _, resume := range []bool{false, true} {
			name := v.name + "/full"
			if resume {
				name = v.name + "/resumed"
			}
			b.Run(name, func(b *testing.B) {
				s, cfg := setup(b, v, resume)
				if resume {
					if _, err := s.handshake(cfg); err != nil { // fill the session cache
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					st, err := s.handshake(cfg)
					if err != nil {
						b.Fatal(err)
					}
					if st.DidResume != resume {
						b.Fatalf("resumed = %v, want %v", st.DidResume, resume)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
			})
		}
	}
}
