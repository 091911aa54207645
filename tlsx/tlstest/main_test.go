package tlstest_test

import (
	"crypto/tls"
	"testing"

	"go.uber.org/goleak"

	"github.com/harden-go/harden/tlsx/tlstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type result = tlstest.HandshakeResult

// handshake is tlstest.Handshake dialling 127.0.0.1 by its address, as
// tls.Dial would name it, unless cliCfg sets a ServerName.
func handshake(t *testing.T, srvCfg, cliCfg *tls.Config) result {
	t.Helper()
	cliCfg = cliCfg.Clone()
	if cliCfg.ServerName == "" {
		cliCfg.ServerName = "127.0.0.1"
	}
	return tlstest.Handshake(t, srvCfg, cliCfg)
}
