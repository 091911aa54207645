package tlstest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// result is what each side of one handshake saw.
type result struct {
	clientErr error               // from the client's handshake, or its first read
	serverErr error               // from the server's handshake
	client    tls.ConnectionState // the client's view after its handshake
	server    tls.ConnectionState // the server's view after its handshake
}

// handshake runs one TLS handshake over loopback between a server with
// srvCfg and a client with cliCfg dialling 127.0.0.1 (the ServerName, unless cliCfg sets one), and returns both
// sides' errors and states. The client reads once after its handshake:
// under TLS 1.3 a server's rejection of the client certificate arrives
// only then.
func handshake(t *testing.T, srvCfg, cliCfg *tls.Config) result {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	ctx := context.Background()
	var r result
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			r.serverErr = err
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		r.serverErr = tc.HandshakeContext(ctx)
		r.server = tc.ConnectionState()
	}()

	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cliCfg = cliCfg.Clone()
	if cliCfg.ServerName == "" {
		cliCfg.ServerName = "127.0.0.1" // as tls.Dial would set it
	}
	tc := tls.Client(raw, cliCfg)
	r.clientErr = tc.HandshakeContext(ctx)
	if r.clientErr == nil {
		r.client = tc.ConnectionState()
		if _, err := tc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			r.clientErr = err
		}
	}
	tc.Close()
	<-done
	return r
}
