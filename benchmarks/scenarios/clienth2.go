package scenarios

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/harden-go/harden/internal/blackhole"
)

// deadHTTP2Margin is how long past the client's PING bounds a call may
// take to succeed after the silence and still count as defended, and
// how much longer the scenario waits before it gives up.
const deadHTTP2Margin = time.Second

// deadHTTP2 silences an HTTP/2 connection, as a NAT or firewall that
// dropped its state does: a proxy between client and service stops
// forwarding in both directions but keeps both sockets open. net/http's
// defaults send no health PING, so the client keeps sending on the dead
// connection until the kernel gives up on it, about 15 minutes on Linux
// (golang/go#59690).
func deadHTTP2() Scenario {
	return Scenario{
		Name:        "dead-http2-connection",
		Description: "After one request over HTTP/2, the path to the service goes silent both ways while staying open; the caller keeps sending GETs (each retried by the caller on failure) until one succeeds on a new connection.",
		Expect:      "a call succeeds on a new connection within http2.ping_after + ping_timeout + 1s of the silence",
		Waits:       true,
		Run: func(ctx context.Context, t Target, b Bounds) Outcome {
			dir, err := os.MkdirTemp("", "harden-client-")
			if err != nil {
				return Outcome{Summary: "could not start", Err: err.Error()}
			}
			defer os.RemoveAll(dir)
			svc, caFile, err := startHTTP2Service(dir)
			if err != nil {
				return Outcome{Summary: "could not start", Err: err.Error()}
			}
			defer svc.stop()
			proxy, err := blackhole.New(svc.url)
			if err != nil {
				return Outcome{Summary: "could not start", Err: err.Error()}
			}
			defer proxy.Close()
			c, release, fail := newClient(t, ClientSpec{CAFile: caFile})
			if fail != nil {
				return *fail
			}
			defer release()
			url := "https://" + proxy.Addr()
			rctx, cancel := context.WithTimeout(ctx, requestTimeout)
			err = get(rctx, c, url)
			cancel()
			if err != nil {
				return Outcome{Summary: "no first answer", Err: err.Error()}
			}
			proxy.Silence()
			began := time.Now()
			giveUp := b.Client.PingAfter + b.Client.PingTimeout + 2*deadHTTP2Margin
			cctx, cancel := context.WithTimeout(ctx, giveUp)
			defer cancel()
			for cctx.Err() == nil {
				if get(cctx, c, url) == nil {
					took := time.Since(began)
					return Outcome{
						Defended:      took <= b.Client.PingAfter+b.Client.PingTimeout+deadHTTP2Margin,
						Summary:       fmt.Sprintf("recovered after %s on connection %d", secs(took), proxy.Accepted()),
						TimeToRecover: took,
						NewConns:      proxy.Accepted(),
					}
				}
			}
			return Outcome{Summary: fmt.Sprintf("no answer at give-up (%s), %d connection(s)", secs(giveUp), proxy.Accepted()), NewConns: proxy.Accepted()}
		},
	}
}

// startHTTP2Service serves 200s over HTTP/2 and TLS, with the scenario
// certificate for 127.0.0.1, and writes that certificate to a file in dir
// for clients to trust.
func startHTTP2Service(dir string) (*service, string, error) {
	pair, err := scenarioCerts()
	if err != nil {
		return nil, "", err
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.cert.Leaf.Raw}), 0o600); err != nil {
		return nil, "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok")
		}),
		ReadHeaderTimeout: handshakeTimeout,
		TLSConfig:         pair.server(),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeTLS(l, "", "")
	}()
	return &service{
		url:   l.Addr().String(),
		conns: func() int { return 0 },
		stop:  func() { srv.Close(); <-done },
	}, caFile, nil
}
