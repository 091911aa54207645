package scenarios

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// ClientSpec is what a [Client] scenario asks of a target's client.
type ClientSpec struct {
	// CAFile, when set, names a PEM file of the only CA the client is to
	// trust: the scenario's HTTPS service at 127.0.0.1 presents a
	// certificate it issued for that address.
	CAFile string

	// Retry asks for the client's way of resending a failed request: its
	// retry policy, or for a baseline the loop its users write by hand.
	// Without it the client sends each request once.
	Retry bool

	// Token, when set, is where the client gets the bearer token it
	// sends with each request; it gets a new one when the service
	// answers 401.
	Token func(ctx context.Context) (string, error)
}

// ClientBounds are the limits the [Client] scenarios measure against,
// the values the subject client was given.
type ClientBounds struct {
	// ResponseHeader is how long the client waits for an answer's
	// headers.
	ResponseHeader time.Duration `json:"response_header_ns"`
	// PingAfter and PingTimeout are the client's HTTP/2 health check: a
	// PING after PingAfter without any frame from the server, and the
	// end of the connection when it is not answered PingTimeout later.
	PingAfter   time.Duration `json:"ping_after_ns"`
	PingTimeout time.Duration `json:"ping_timeout_ns"`
}

// naiveAttempts is how many times the hand-written retry loop of
// [DefaultClient] sends a request: as many as harden's default policy,
// so the two differ only in the budget and the backoff.
const naiveAttempts = 3

// DefaultClient is the client baseline: a client with net/http's
// defaults (http.DefaultTransport's settings, no timeout), and what its
// users write by hand around it: a loop that resends a failed request
// at once, up to 3 times, and a shared token that every request which
// sees a 401 fetches anew.
func DefaultClient() Target {
	return Target{
		Name: "http.DefaultClient",
		NewClient: func(spec ClientSpec) (*http.Client, func(), error) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			if spec.CAFile != "" {
				pem, err := os.ReadFile(spec.CAFile)
				if err != nil {
					return nil, nil, err
				}
				roots := x509.NewCertPool()
				if !roots.AppendCertsFromPEM(pem) {
					return nil, nil, fmt.Errorf("scenarios: no certificate in %s", spec.CAFile)
				}
				tr.TLSClientConfig.RootCAs = roots
			}
			var rt http.RoundTripper = tr
			if spec.Token != nil {
				rt = &sharedToken{base: rt, fetch: spec.Token}
			}
			if spec.Retry {
				rt = resendLoop{base: rt, attempts: naiveAttempts}
			}
			return &http.Client{Transport: rt}, tr.CloseIdleConnections, nil
		},
	}
}

// resendLoop resends a request that failed or was answered 5xx, at once,
// up to attempts times: the loop a user writes around http.Client.Do.
type resendLoop struct {
	base     http.RoundTripper
	attempts int
}

func (l resendLoop) RoundTrip(req *http.Request) (*http.Response, error) {
	for i := 1; ; i++ {
		resp, err := l.base.RoundTrip(req)
		if i == l.attempts || (err == nil && resp.StatusCode < 500) || req.Context().Err() != nil {
			return resp, err
		}
		if err == nil {
			resp.Body.Close()
		}
	}
}

// sharedToken sends a token shared by every request and, on a 401,
// fetches a new one and resends once, as a hand-written token cache
// does: each request that sees the 401 fetches on its own.
type sharedToken struct {
	base  http.RoundTripper
	fetch func(context.Context) (string, error)
	mu    sync.Mutex
	token string
}

func (s *sharedToken) send(req *http.Request, token string) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return s.base.RoundTrip(r)
}

func (s *sharedToken) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	token := s.token
	s.mu.Unlock()
	if token == "" {
		return s.refresh(req)
	}
	resp, err := s.send(req, token)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	resp.Body.Close()
	return s.refresh(req)
}

func (s *sharedToken) refresh(req *http.Request) (*http.Response, error) {
	token, err := s.fetch(req.Context())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.token = token
	s.mu.Unlock()
	return s.send(req, token)
}

// service serves h over HTTP/1.1 on 127.0.0.1, counting the connections
// it accepts, until stop is called; stop closes every connection and
// waits for the handlers.
type service struct {
	url   string
	conns func() int
	stop  func()
}

func startService(h http.Handler) (*service, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		conns int
	)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: handshakeTimeout,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mu.Lock()
				conns++
				mu.Unlock()
			}
		}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	return &service{
		url: "http://" + l.Addr().String(),
		conns: func() int {
			mu.Lock()
			defer mu.Unlock()
			return conns
		},
		stop: func() {
			srv.Close()
			<-done
		},
	}, nil
}

// callService starts a service serving h and t's client for spec, runs
// body with both, and tears both down, whatever body left behind.
func callService(t Target, spec ClientSpec, h http.Handler, body func(svc *service, c *http.Client) Outcome) Outcome {
	svc, err := startService(h)
	if err != nil {
		return Outcome{Summary: "could not start", Err: err.Error()}
	}
	defer svc.stop()
	c, release, fail := newClient(t, spec)
	if fail != nil {
		return *fail
	}
	defer release()
	return body(svc, c)
}

// newClient returns t's client for spec, or an outcome saying why there
// is none.
func newClient(t Target, spec ClientSpec) (*http.Client, func(), *Outcome) {
	c, release, err := t.NewClient(spec)
	if err != nil {
		return nil, nil, &Outcome{Summary: "no client", Err: err.Error()}
	}
	return c, release, nil
}

// isTimeout reports whether err says a timeout ended the call.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}
