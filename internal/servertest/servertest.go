// Package servertest runs harden's client/server tests once per protocol a
// server speaks, in the manner of net/http's own run(t, f, modes): HTTP/1.1
// over plain TCP and HTTP/2 over TLS, on loopback.
package servertest

import (
	"bytes"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
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

// CheckMultipartCleanup serves, over HTTP/1.1, mw around a handler that
// parses a multipart form large enough to spill to a temporary file, and
// fails t unless net/http has removed that file once the request is done:
// net/http removes only the form of the request it passed in, so a layer
// that hands on a copy must hand the form back (golang/go#58809).
func CheckMultipartCleanup(t *testing.T, mw func(http.Handler) http.Handler) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	spilled := make(chan int, 1)
	ts := NewServer(t, HTTP1, mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 10); err != nil { // the file part goes to disk
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		entries, _ := os.ReadDir(tmp)
		spilled <- len(entries)
	})))
	var buf bytes.Buffer
	form := multipart.NewWriter(&buf)
	fw, err := form.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(make([]byte, 64<<10))
	_ = form.Close()
	req, err := http.NewRequest(http.MethodPost, ts.URL, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("answer %d %q, want 200", resp.StatusCode, body)
	}
	select {
	case n := <-spilled:
		if n == 0 {
			t.Fatal("the form was not spilled to a temporary file; the test proves nothing")
		}
	default:
		t.Fatal("the handler did not parse the form")
	}
	ts.Close() // returns once net/http has finished the request
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}
