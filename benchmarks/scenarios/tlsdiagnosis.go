package scenarios

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

func tlsDiagnosis() Scenario {
	return Scenario{
		Name:        "tls-diagnosis",
		Description: "Eight misconfigured handshakes over loopback (expired, not yet valid, wrong usage, unknown CA, regenerated CA, hostname mismatch, missing client certificate, peer not speaking TLS); each error is shown to the operator as the target shows it.",
		Expect:      "every failure is named by its kind, with the fix",
		Run:         runDiagnosis,
	}
}

// brokenHandshake is one misconfiguration: the configs of both ends, the
// certificates the failing side trusts, and the kind that names it.
type brokenHandshake struct {
	variant string
	want    tlsx.Kind
	server  *tls.Config // nil: a plain-text server
	client  *tls.Config
	trusted []*x509.Certificate
}

// brokenHandshakes makes the certificates of every misconfiguration,
// writing their files in dir.
func brokenHandshakes(dir string) ([]brokenHandshake, error) {
	ca, good, err := caAndServer(dir)
	if err != nil {
		return nil, err
	}
	_, otherCert, err := caAndServer(dir)
	if err != nil {
		return nil, err
	}
	regen, err := ca.RegenerateIn(dir)
	if err != nil {
		return nil, err
	}
	flawed := make(map[tlstest.Flaw]*tlstest.Cert)
	for _, f := range []tlstest.Flaw{tlstest.Expired, tlstest.NotYetValid, tlstest.WrongUsage} {
		if flawed[f], err = ca.Issuing(f).ServerIn(dir); err != nil {
			return nil, err
		}
	}
	trusted := []*x509.Certificate{ca.Certificate}
	client := func(c *tlstest.CA) *tls.Config {
		return &tls.Config{RootCAs: c.Pool(), ServerName: "localhost"}
	}
	serving := func(c *tlstest.Cert) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{c.TLS}}
	}
	mtls := serving(good)
	mtls.ClientAuth, mtls.ClientCAs = tls.RequireAndVerifyClientCert, ca.Pool()
	hostname := client(ca)
	hostname.ServerName = "api.example.com"
	return []brokenHandshake{
		{variant: "expired", want: tlsx.KindExpired, server: serving(flawed[tlstest.Expired]), client: client(ca), trusted: trusted},
		{variant: "not-yet-valid", want: tlsx.KindNotYetValid, server: serving(flawed[tlstest.NotYetValid]), client: client(ca), trusted: trusted},
		{variant: "wrong-usage", want: tlsx.KindWrongUsage, server: serving(flawed[tlstest.WrongUsage]), client: client(ca), trusted: trusted},
		{variant: "unknown-ca", want: tlsx.KindUnknownAuthority, server: serving(otherCert), client: client(ca), trusted: trusted},
		{variant: "regenerated-ca", want: tlsx.KindRegeneratedCA, server: serving(good), client: client(regen), trusted: []*x509.Certificate{regen.Certificate}},
		{variant: "hostname-mismatch", want: tlsx.KindHostname, server: serving(good), client: hostname, trusted: trusted},
		{variant: "missing-client-certificate", want: tlsx.KindNoClientCertificate, server: mtls, client: client(ca), trusted: trusted},
		{variant: "not-tls", want: tlsx.KindNotTLS, server: nil, client: client(ca), trusted: trusted},
	}, nil
}

func runDiagnosis(ctx context.Context, t Target, _ Bounds) Outcome {
	return withPKI(func(dir string) Outcome {
		broken, err := brokenHandshakes(dir)
		if err != nil {
			return noPKI(err)
		}
		var o Outcome
		explained := 0
		for _, b := range broken {
			err := b.clientError(ctx)
			if err == nil {
				return Outcome{Summary: "a broken handshake succeeded", Err: fmt.Sprintf("variant %s: the handshake succeeded", b.variant)}
			}
			kind, msg := t.Explain(err, b.trusted)
			d := Diagnosis{Variant: b.variant, Want: string(b.want), Kind: kind, Message: msg}
			d.Explained = kind == string(b.want) && strings.TrimSpace(msg) != ""
			if d.Explained {
				explained++
			}
			o.Diagnoses = append(o.Diagnoses, d)
		}
		n := len(o.Diagnoses)
		o.Defended = explained == n
		if explained == 0 {
			o.Summary = fmt.Sprintf("0/%d explained: raw errors", n)
		} else {
			o.Summary = fmt.Sprintf("%d/%d explained with a fix", explained, n)
		}
		return o
	})
}

// clientError runs the handshake over loopback and returns the client's
// error: from the handshake, or from the first read after it, where
// TLS 1.3 delivers a server's refusal of the client certificate.
func (b brokenHandshake) clientError(ctx context.Context) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var stop func()
	if b.server != nil {
		stop = ServeHandshakes(l, b.server)
	} else {
		stop = servePlainText(l)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	d := tls.Dialer{Config: b.client}
	c, err := d.DialContext(ctx, "tcp", l.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// servePlainText answers every connection accepted from l with an
// HTTP/1.1 error, as a plain-text port does to a TLS client.
func servePlainText(l net.Listener) (stop func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
			c.Close()
		}
	})
	return func() {
		l.Close()
		wg.Wait()
	}
}
