package main

import (
	"fmt"
	"os"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// devTLS is an ephemeral CA and a server certificate it issued for
// localhost, 127.0.0.1 and ::1, valid for a day, for serve --dev-tls.
// Their files live in a temporary directory that remove deletes; the keys
// never leave it and die with it, so nothing here can protect real traffic.
type devTLS struct {
	dir    string
	caFile string            // the CA certificate, for curl --cacert
	config tlsx.ServerConfig // harden's TLS defaults on the server certificate
}

func newDevTLS() (*devTLS, error) {
	dir, err := os.MkdirTemp("", "harden-dev-tls-")
	if err != nil {
		return nil, fmt.Errorf("dev TLS: %w", err)
	}
	ca, err := tlstest.NewCAIn(dir)
	if err == nil {
		var srv *tlstest.Cert
		if srv, err = ca.ServerIn(dir); err == nil {
			return &devTLS{dir: dir, caFile: ca.CertFile, config: tlsx.DefaultServerConfig(srv.CertFile, srv.KeyFile)}, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("dev TLS: %w", err)
}

func (d *devTLS) remove() error { return os.RemoveAll(d.dir) }
