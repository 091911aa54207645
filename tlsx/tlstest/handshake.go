package tlstest

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"
)

// HandshakeResult is what each side of one handshake saw.
type HandshakeResult struct {
	ClientErr error               // from the client's handshake, or its first read
	ServerErr error               // from the server's handshake
	Client    tls.ConnectionState // the client's view after its handshake
	Server    tls.ConnectionState // the server's view after its handshake
}

// handshakeLimit bounds one Handshake; only a broken test reaches it.
const handshakeLimit = 10 * time.Second

// Handshake runs one TLS handshake over loopback between a server with
// config server and a client with config client, and returns what each
// side saw. The client connects to 127.0.0.1 with client.ServerName, or
// "localhost" when it is empty (both are names of a default [CA.Server]
// certificate). After its handshake the client reads once: under TLS 1.3
// a server's refusal of the client certificate, and the session tickets a
// resumption needs, arrive only then. It fails the test only when
// loopback itself fails; handshake errors are in the result.
func Handshake(t TB, server, client *tls.Config) HandshakeResult {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("tlstest: listen: %v", err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), handshakeLimit)
	defer cancel()

	var r HandshakeResult
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			r.ServerErr = err
			return
		}
		tc := tls.Server(c, server)
		defer tc.Close()
		r.ServerErr = tc.HandshakeContext(ctx)
		r.Server = tc.ConnectionState()
	}()

	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("tlstest: dial: %v", err)
	}
	client = client.Clone()
	if client.ServerName == "" {
		client.ServerName = "localhost"
	}
	tc := tls.Client(raw, client)
	r.ClientErr = tc.HandshakeContext(ctx)
	if r.ClientErr == nil {
		r.Client = tc.ConnectionState()
		if _, err := tc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			r.ClientErr = err
		}
	}
	tc.Close()
	<-done
	return r
}
