package objectstorage_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/retry/sigv4/sigv4test"
)

const region = "us-east-1"

// s3Server is an S3-compatible server on loopback: gofakes3's in-memory
// S3 behind sigv4test's session issuer and signature check, served by a
// harden server. It counts the attempts of each SDK operation by the
// amz-sdk-invocation-id header, which the SDK sets once per operation and
// every attempt of it carries.
type s3Server struct {
	URL    string
	issuer *sigv4test.Issuer

	mu       sync.Mutex
	attempts map[string]int         // by invocation ID
	fail     atomic.Pointer[string] // path answered with 503 SlowDown
}

func newS3Server(t *testing.T) *s3Server {
	t.Helper()
	s, stop, err := startS3Server()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// startS3Server serves an s3Server on loopback until stop is called.
func startS3Server() (s *s3Server, stop func() error, err error) {
	s = &s3Server{issuer: sigv4test.NewIssuer(region, "s3", nil), attempts: make(map[string]int)}
	faker := gofakes3.New(s3mem.New())
	cfg := httpx.DefaultServerConfig()
	cfg.Shutdown = httpx.ShutdownConfig{DrainDelay: -1, Timeout: 5 * harden.Second}
	srv, err := httpx.NewServer(cfg, s.count(s.issuer.Check(s.faults(faker.Server()))))
	if err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	s.URL = "http://" + l.Addr().String()
	return s, func() error {
		err := srv.Shutdown(context.Background())
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}, nil
}

// count records each attempt under its operation.
func (s *s3Server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("Amz-Sdk-Invocation-Id"); id != "" {
			s.mu.Lock()
			s.attempts[id]++
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// faults answers 503 SlowDown for the key set in s.fail.
func (s *s3Server) faults(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := s.fail.Load(); k != nil && r.URL.Path == *k {
			sigv4test.WriteError(w, http.StatusServiceUnavailable, "SlowDown")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// stats returns how many operations reached the server and the most
// attempts any one of them made.
func (s *s3Server) stats() (ops, maxAttempts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.attempts {
		maxAttempts = max(maxAttempts, n)
	}
	return len(s.attempts), maxAttempts
}
