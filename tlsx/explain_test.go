package tlsx_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// Each flaw and misconfiguration, over a real handshake, is explained
// with the expected kind, side and fix.
func TestExplain(t *testing.T) {
	ca := tlstest.NewCA(t)
	mid := ca.Intermediate(t)
	regen := ca.Regenerate(t)
	notCARoot := tlstest.NewCA(t, tlstest.NotCA)
	badMid := ca.Issuing(tlstest.NotCA).Intermediate(t)
	cli := ca.Client(t, "spiffe://example.org/a")
	mtls := ca.MTLSServerConfig(t, nil)

	leafOnly := mid.Server(t)
	leafOnly.TLS.Certificate = leafOnly.TLS.Certificate[:1] // the intermediate is not sent

	tls12 := func(c *tls.Config) *tls.Config {
		c = c.Clone()
		c.MaxVersion = tls.VersionTLS12
		return c
	}
	forced := func(c *tlstest.Cert) *tls.Config { // presents c whatever the server asks
		cfg := ca.ClientConfig(nil)
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c.TLS, nil }
		return cfg
	}
	srv := ca.Server(t)
	src13 := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, MinVersion: "1.3"})
	allow := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, ClientCAFile: ca.CertFile,
		AllowedClients: tlsx.Identities{URI: []string{"spiffe://example.org/b"}}})
	alpnSrv := ca.ServerConfig(t, nil)
	alpnSrv.NextProtos = []string{"h2"}
	alpnCli := ca.ClientConfig(nil)
	alpnCli.NextProtos = []string{"h3"}
	noCertSrv := &tls.Config{}
	badGet := ca.ServerConfig(t, nil)
	badGet.Certificates = nil
	badGet.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, errors.New("vault unreachable") }

	tests := []struct {
		name    string
		srv     *tls.Config
		cli     *tls.Config
		side    string // whose error is explained: "client" or "server"
		trusted []*x509.Certificate
		kind    tlsx.Kind
		by      tlsx.Side
		fix     string // a part of the message naming the fix
	}{
		{"no client certificate, server", mtls, ca.ClientConfig(nil), "server", nil, tlsx.KindNoClientCertificate, tlsx.SideLocal, "give the client a certificate"},
		{"no client certificate, client, TLS 1.3", mtls, ca.ClientConfig(nil), "client", nil, tlsx.KindNoClientCertificate, tlsx.SideRemote, "set cert_file and key_file"},
		{"no client certificate, client, TLS 1.2", mtls, tls12(ca.ClientConfig(nil)), "client", nil, tlsx.KindHandshakeFailure, tlsx.SideRemote, "configure a client certificate"},
		{"unknown authority", tlstest.NewCA(t).ServerConfig(t, nil), ca.ClientConfig(nil), "client", []*x509.Certificate{ca.Certificate}, tlsx.KindUnknownAuthority, tlsx.SideLocal, "add the peer's CA to the CA file"},
		{"client refusal seen by the server", tlstest.NewCA(t).ServerConfig(t, nil), ca.ClientConfig(nil), "server", nil, tlsx.KindBadCertificate, tlsx.SideRemote, "read the peer's log"},
		{"unknown client CA", mtls, forced(tlstest.NewCA(t).Client(t)), "client", nil, tlsx.KindUnknownAuthority, tlsx.SideRemote, "add that CA to the peer's CA file"},
		{"missing intermediate", ca.ServerConfig(t, leafOnly), ca.ClientConfig(nil), "client", []*x509.Certificate{ca.Certificate}, tlsx.KindUnknownAuthority, tlsx.SideLocal, "the peer must send it"},
		{"regenerated CA", ca.ServerConfig(t, nil), regen.ClientConfig(nil), "client", []*x509.Certificate{regen.Certificate}, tlsx.KindRegeneratedCA, tlsx.SideLocal, "distribute the current CA file to both sides"},
		{"root without CA:TRUE", notCARoot.ServerConfig(t, nil), notCARoot.ClientConfig(nil), "client", []*x509.Certificate{notCARoot.Certificate}, tlsx.KindIssuerNotCA, tlsx.SideLocal, "put the real CA in the CA file"},
		{"intermediate without CA:TRUE", ca.ServerConfig(t, badMid.Server(t)), ca.ClientConfig(nil), "client", nil, tlsx.KindIssuerNotCA, tlsx.SideLocal, "reissue the certificate from the real CA"},
		{"expired server", ca.ServerConfig(t, ca.Issuing(tlstest.Expired).Server(t)), ca.ClientConfig(nil), "client", nil, tlsx.KindExpired, tlsx.SideLocal, "renew it"},
		{"not yet valid server", ca.ServerConfig(t, ca.Issuing(tlstest.NotYetValid).Server(t)), ca.ClientConfig(nil), "client", nil, tlsx.KindNotYetValid, tlsx.SideLocal, "check the clock"},
		{"expired client, server", mtls, forced(ca.Issuing(tlstest.Expired).Client(t)), "server", nil, tlsx.KindExpired, tlsx.SideLocal, "renew it"},
		{"expired client, client", mtls, forced(ca.Issuing(tlstest.Expired).Client(t)), "client", nil, tlsx.KindExpired, tlsx.SideRemote, "renew it"},
		{"server with wrong usage", ca.ServerConfig(t, ca.Issuing(tlstest.WrongUsage).Server(t)), ca.ClientConfig(nil), "client", nil, tlsx.KindWrongUsage, tlsx.SideLocal, "reissue it with that usage"},
		{"client with wrong usage", mtls, forced(ca.Issuing(tlstest.WrongUsage).Client(t)), "server", nil, tlsx.KindWrongUsage, tlsx.SideLocal, "reissue it with that usage"},
		{"hostname", ca.ServerConfig(t, ca.Server(t, "api.example.org")), ca.ClientConfig(nil), "client", nil, tlsx.KindHostname, tlsx.SideLocal, "reissue the certificate with \"localhost\""},
		{"server key mismatch", ca.ServerConfig(t, ca.Issuing(tlstest.WrongKey).Server(t)), ca.ClientConfig(nil), "client", nil, tlsx.KindBadSignature, tlsx.SideLocal, "deploy the key issued with the certificate"},
		{"server key mismatch, server", ca.ServerConfig(t, ca.Issuing(tlstest.WrongKey).Server(t)), ca.ClientConfig(nil), "server", nil, tlsx.KindBadSignature, tlsx.SideRemote, "deploy the key issued with the certificate"},
		{"client key mismatch", mtls, ca.ClientConfig(ca.Issuing(tlstest.WrongKey).Client(t)), "server", nil, tlsx.KindBadSignature, tlsx.SideLocal, "deploy the key issued with the certificate"},
		{"version, server", src13.TLSConfig(), tls12(ca.ClientConfig(nil)), "server", nil, tlsx.KindVersion, tlsx.SideLocal, "upgrade the client"},
		{"version, client", src13.TLSConfig(), tls12(ca.ClientConfig(nil)), "client", nil, tlsx.KindVersion, tlsx.SideRemote, "allow TLS 1.2 or 1.3"},
		{"identity, server", allow.TLSConfig(), ca.ClientConfig(cli), "server", nil, tlsx.KindIdentity, tlsx.SideLocal, "add one of its names to allowed_clients"},
		{"identity, client", allow.TLSConfig(), ca.ClientConfig(cli), "client", nil, tlsx.KindBadCertificate, tlsx.SideRemote, "allow-list"},
		{"no ALPN in common", alpnSrv, alpnCli, "client", nil, tlsx.KindNoApplicationProtocol, tlsx.SideRemote, "align NextProtos"},
		{"no ALPN in common, server", alpnSrv, alpnCli, "server", nil, tlsx.KindNoApplicationProtocol, tlsx.SideLocal, "align NextProtos"},
		{"no certificate for the name", noCertSrv, ca.ClientConfig(nil), "client", nil, tlsx.KindUnrecognizedName, tlsx.SideRemote, "dial a name it serves"},
		{"server failure", badGet, ca.ClientConfig(nil), "client", nil, tlsx.KindPeerInternalError, tlsx.SideRemote, "read the peer's log"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := handshake(t, tc.srv, tc.cli)
			err := r.ClientErr
			if tc.side == "server" {
				err = r.ServerErr
			}
			if err == nil {
				t.Fatalf("the %s saw no error", tc.side)
			}
			he := tlsx.Explain(err, tc.trusted...)
			if he.Kind != tc.kind || he.Side != tc.by || !strings.Contains(he.Message, tc.fix) {
				t.Errorf("Explain(%v) = %s (%s): %q; want %s (%s) naming %q", err, he.Kind, he.Side, he.Message, tc.kind, tc.by, tc.fix)
			}
			if !errors.Is(he, err) {
				t.Error("the explanation does not wrap the error")
			}
		})
	}
}

// A peer that does not speak TLS is recognised on both sides.
func TestExplainNotTLS(t *testing.T) {
	ca := tlstest.NewCA(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	// A TLS client reaching a plain HTTP server.
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := plain.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
	}()
	cfg := ca.ClientConfig(nil)
	cfg.ServerName = "localhost"
	_, err = (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", plain.Addr().String())
	<-done
	if he := tlsx.Explain(err); he.Kind != tlsx.KindNotTLS || !strings.Contains(he.Message, "use https://") {
		t.Errorf("client: Explain(%v) = %+v", err, he)
	}

	// A plain-text client reaching a TLS server.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.ServerConfig(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		srvErr <- c.(*tls.Conn).HandshakeContext(ctx)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	err = <-srvErr
	c.Close()
	if he := tlsx.Explain(err); he.Kind != tlsx.KindNotTLS || he.Side != tlsx.SideLocal {
		t.Errorf("server: Explain(%v) = %+v", err, he)
	}
}

func TestExplainNil(t *testing.T) {
	if he := tlsx.Explain(nil); he != nil {
		t.Errorf("Explain(nil) = %v", he)
	}
	he := tlsx.Explain(errors.New("something else"))
	if he.Kind != tlsx.KindUnknown {
		t.Errorf("Explain(other) = %v", he)
	}
	if again := tlsx.Explain(he); again != he {
		t.Error("Explain of an explanation is not the explanation")
	}
}

// A peer that hangs up or stalls mid-handshake is told apart from one
// that refuses.
func TestExplainPeerClosedAndTimeout(t *testing.T) {
	ca := tlstest.NewCA(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.ServerConfig(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	run := func(client func(net.Conn), deadline bool) error {
		errc := make(chan error, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			if deadline {
				c.SetDeadline(time.Unix(1, 0)) // already past
			}
			errc <- c.(*tls.Conn).Handshake()
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		client(c)
		err = <-errc
		c.Close()
		return err
	}
	hello := []byte{0x16, 0x03, 0x01, 0x00, 0x40} // a handshake record header, then nothing
	closed := run(func(c net.Conn) { c.Write(hello); c.(*net.TCPConn).CloseWrite() }, false)
	if he := tlsx.Explain(closed); he.Kind != tlsx.KindPeerClosed {
		t.Errorf("Explain(%v) = %v, want %s", closed, he, tlsx.KindPeerClosed)
	}
	stalled := run(func(net.Conn) {}, true)
	if he := tlsx.Explain(stalled); he.Kind != tlsx.KindTimeout {
		t.Errorf("Explain(%v) = %v, want %s", stalled, he, tlsx.KindTimeout)
	}
}
