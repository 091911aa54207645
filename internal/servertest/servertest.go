// Package servertest runs harden's client/server tests once per protocol a
// server speaks, in the manner of net/http's own run(t, f, modes): HTTP/1.1
// over plain TCP and HTTP/2 over TLS, on loopback.
package servertest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Mode is the protocol a client/server test runs over.
type Mode string

const (
	HTTP1 Mode = "h1" // HTTP/1.1 over plain TCP
	HTTP2 Mode = "h2" // HTTP/2 over TLS
)

// ProtoMajor is the HTTP major version an answer in mode m arrives with.
func (m Mode) ProtoMajor() int {
	if m == HTTP2 {
		return 2
	}
	return 1
}

// Run runs f as a subtest once per mode, HTTP/1.1 and HTTP/2 when modes is
// empty.
func Run(t *testing.T, f func(t *testing.T, m Mode), modes ...Mode) {
	t.Helper()
	if len(modes) == 0 {
		modes = []Mode{HTTP1, HTTP2}
	}
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) { f(t, m) })
	}
}

// NewServer serves h on a loopback listener speaking m until the test
// ends; its Client speaks m too. The server's error log is collected and
// reported once the server has stopped; lines that mean a response was
// written twice, or written on a hijacked connection, fail the test.
func NewServer(t testing.TB, m Mode, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	logs := &lineLog{}
	ts.Config.ErrorLog = log.New(logs, "", 0)
	switch m {
	case HTTP1:
		ts.Start()
	case HTTP2:
		ts.EnableHTTP2 = true
		ts.StartTLS()
	}
	t.Cleanup(func() {
		ts.Close() // waits for outstanding requests, so the log is final
		for _, l := range logs.lines() {
			if strings.Contains(l, "superfluous") || strings.Contains(l, "hijacked") {
				t.Errorf("server log: %s", l)
				continue
			}
			t.Logf("server log: %s", l)
		}
	})
	return ts
}

// lineLog collects the lines of a log.Logger; safe for concurrent use.
type lineLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lineLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.FieldsFunc(l.b.String(), func(r rune) bool { return r == '\n' })
}

// StalledBody is a request body that sends one byte and then nothing
// until Stop is closed, as a slow-body client does; it then ends.
type StalledBody struct {
	Stop <-chan struct{}
	sent bool
}

// Read implements [io.Reader].
func (b *StalledBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		p[0] = 'x'
		return 1, nil
	}
	<-b.Stop
	return 0, io.EOF
}
