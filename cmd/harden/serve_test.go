package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server's
// logger and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig writes a harden config on loopback with free ports, a
// 64KiB body limit and a short drain, so tests stop quickly.
func testConfig(t *testing.T, drainDelay string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "harden.yaml")
	cfg := fmt.Sprintf(`server:
  addr: "127.0.0.1:0"
  limits:
    max_body_bytes: 64KiB
  shutdown:
    drain_delay: %s
    timeout: 10s
  admin:
    addr: "127.0.0.1:0"
`, drainDelay)
	if err := os.WriteFile(name, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// servedCLI is harden serve running in this process.
type servedCLI struct {
	url, adminURL string // from the lines serve printed
	tryURL        string // the URL of the curl command serve printed
	caFile        string // --dev-tls only
	stderr        *syncBuffer
	stop          func() (code int, stdout string) // cancels the run's ctx and waits for it
}

// startServe runs "harden serve args..." until stop is called, and reads
// the addresses it prints.
func startServe(t *testing.T, args ...string) *servedCLI {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &servedCLI{stderr: &syncBuffer{}}
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), pw, s.stderr, testBench("header limits"))
		pw.Close()
		done <- code
	}()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var (
		once   sync.Once
		code   int
		stdout strings.Builder
	)
	s.stop = func() (int, string) {
		once.Do(func() {
			cancel()
			code = <-done
			for l := range lines {
				stdout.WriteString(l + "\n")
			}
		})
		return code, stdout.String()
	}
	t.Cleanup(func() { s.stop() })
	for l := range lines {
		stdout.WriteString(l + "\n")
		f := strings.Fields(l)
		switch {
		case len(f) >= 2 && f[0] == "serving":
			s.url = f[1]
		case len(f) >= 2 && f[0] == "admin":
			s.adminURL = f[1]
		case len(f) >= 2 && f[0] == "try:":
			s.tryURL = f[len(f)-1]
			if len(f) >= 4 && f[2] == "--cacert" {
				s.caFile = f[3]
			}
		case len(f) >= 1 && f[0] == "stop:":
			return s
		}
	}
	code, out := s.stop()
	t.Fatalf("serve exited with status %d before it served:\n%s\nstderr:\n%s", code, out, s.stderr)
	return nil
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func post(t *testing.T, c *http.Client, url string, size int) (int, string) {
	t.Helper()
	resp, err := c.Post(url, "application/octet-stream", bytes.NewReader(make([]byte, size)))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// A user runs harden serve and tries every route with http.DefaultClient;
// the admin listener serves health checks and Prometheus metrics of those
// requests.
func TestServeRoutesAndMetrics(t *testing.T) {
	s := startServe(t, "--config", testConfig(t, "-1s"))
	c := http.DefaultClient
	defer c.CloseIdleConnections()
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || !strings.HasPrefix(s.adminURL, "http://127.0.0.1:") {
		t.Fatalf("printed addresses %q and %q, want loopback ones with the bound port", s.url, s.adminURL)
	}

	steps := []struct {
		name       string
		do         func() (int, string)
		status     int
		bodyPrefix string
	}{
		{"hello", func() (int, string) { return get(t, c, s.url+"/hello") }, 200, "hello from harden over HTTP/1.1"},
		{"upload within the limit", func() (int, string) { return post(t, c, s.url+"/upload", 40_000) }, 200, "read 40000 bytes"},
		{"upload over the limit", func() (int, string) { return post(t, c, s.url+"/upload", 100_000) }, 413, `{"type"`},
		{"slow", func() (int, string) { return get(t, c, s.url+"/slow?d=1ms") }, 200, "slept 1ms"},
		{"slow with a bad duration", func() (int, string) { return get(t, c, s.url+"/slow?d=forever") }, 400, "d must be a duration"},
		{"stream", func() (int, string) { return get(t, c, s.url+"/stream?n=3") }, 200, "line 1 of 3\nline 2 of 3\nline 3 of 3\n"},
		{"livez", func() (int, string) { return get(t, c, s.adminURL+"/livez") }, 200, ""},
		{"readyz", func() (int, string) { return get(t, c, s.adminURL+"/readyz") }, 200, ""},
	}
	for _, st := range steps {
		status, body := st.do()
		if status != st.status || !strings.HasPrefix(body, st.bodyPrefix) {
			t.Errorf("%s: %d %q, want %d %q...", st.name, status, body, st.status, st.bodyPrefix)
		}
	}

	_, metrics := get(t, c, s.adminURL+"/metrics")
	for _, want := range []string{
		`http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",`,
		`http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="413",`,
		"\ngo_goroutines ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, out := s.stop(); code != exitOK || !strings.Contains(out, "stopped: every request was answered") {
		t.Errorf("stop: exit status %d, output:\n%s\nstderr:\n%s", code, out, s.stderr)
	}
}

// With --dev-tls, serve speaks HTTPS and HTTP/2 with a certificate that
// the CA it prints verifies, reports the certificate's expiry on
// /metrics, and removes the CA's directory when it stops.
func TestServeDevTLS(t *testing.T) {
	s := startServe(t, "--config", testConfig(t, "-1s"), "--dev-tls")
	if !strings.HasPrefix(s.url, "https://") || s.caFile == "" {
		t.Fatalf("serving %q with CA %q, want https and a CA file", s.url, s.caFile)
	}
	pem, err := os.ReadFile(s.caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", s.caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	// The printed curl command names localhost, which the certificate covers.
	url := strings.TrimSuffix(s.tryURL, "/hello")
	if !strings.HasPrefix(url, "https://localhost:") {
		t.Fatalf("serve printed %q to try, want https://localhost:PORT/hello", s.tryURL)
	}
	if status, body := get(t, c, url+"/hello"); status != 200 || body != "hello from harden over HTTP/2.0\n" {
		t.Errorf("GET /hello over TLS: %d %q", status, body)
	}
	if status, body := post(t, c, url+"/upload", 1000); status != 200 || body != "read 1000 bytes\n" {
		t.Errorf("POST /upload over TLS: %d %q", status, body)
	}
	_, metrics := get(t, http.DefaultClient, s.adminURL+"/metrics")
	defer http.DefaultClient.CloseIdleConnections()
	for _, want := range []string{`tlsx_certificate_expiry_seconds{`, `url_scheme="https"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, out := s.stop(); code != exitOK {
		t.Errorf("stop: exit status %d, output:\n%s\nstderr:\n%s", code, out, s.stderr)
	}
	if _, err := os.Stat(s.caFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the CA file is left behind after serve stopped: %v", err)
	}
}

// Stopping serve under load loses no request: streams in flight finish,
// and clients that keep posting until the server asks them to close their
// connection (as a load balancer stops routing once /readyz turns 503) get
// every answer.
func TestServeStopLosesNoRequest(t *testing.T) {
	s := startServe(t, "--config", testConfig(t, "2s"))
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}

	const (
		streams     = 4
		streamLines = 15
		posters     = 8
		maxPosts    = 2000 // per poster: the loop stops by itself
	)
	var (
		wg       sync.WaitGroup
		failed   atomic.Int64
		answered atomic.Int64
		mu       sync.Mutex
		failures []string
	)
	fail := func(format string, a ...any) {
		failed.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 5 {
			failures = append(failures, fmt.Sprintf(format, a...))
		}
	}

	// Streams that are inside their handler when the stop comes.
	inHandler := make(chan struct{}, streams)
	for range streams {
		wg.Go(func() {
			resp, err := c.Get(fmt.Sprintf("%s/stream?n=%d", s.url, streamLines))
			if err != nil {
				fail("stream: %v", err)
				inHandler <- struct{}{}
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			n := 0
			for sc.Scan() {
				if n++; n == 1 {
					inHandler <- struct{}{}
				}
			}
			if n != streamLines || sc.Err() != nil {
				fail("stream: %d of %d lines, %v", n, streamLines, sc.Err())
			}
		})
	}
	// Posters that send until the server asks them to close.
	started := make(chan struct{}, posters)
	for range posters {
		wg.Go(func() {
			for i := range maxPosts {
				resp, err := c.Post(s.url+"/upload", "application/octet-stream", strings.NewReader("payload"))
				if err != nil {
					fail("upload: %v", err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || string(body) != "read 7 bytes\n" {
					fail("upload: %d %q %v", resp.StatusCode, body, err)
					return
				}
				answered.Add(1)
				if i == 0 {
					started <- struct{}{}
				}
				if resp.Close {
					return
				}
			}
		})
	}
	for range streams {
		<-inHandler
	}
	for range posters {
		<-started
	}
	code, out := s.stop()
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d requests failed during the shutdown (of %d answered uploads), for example:\n%s",
			failed.Load(), answered.Load(), strings.Join(failures, "\n"))
	}
	if code != exitOK || !strings.Contains(out, "stopped: every request was answered") {
		t.Errorf("exit status %d, output:\n%s\nstderr:\n%s", code, out, s.stderr)
	}
}

func TestServeArguments(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("server:\n  timeouts:\n    read_headers: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	invalid := filepath.Join(t.TempDir(), "invalid.yaml")
	if err := os.WriteFile(invalid, []byte("server:\n  addr: 127.0.0.1:0\n  timeouts:\n    read_header: -1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []cliCase{
		{"help", []string{"serve", "--help"}, exitOK, "Examples:\n  harden serve\n", ""},
		{"help lists the profiles", []string{"help", "serve"}, exitOK, "public-edge", ""},
		{"config and profile", []string{"serve", "--config", bad, "--profile", "public-edge"}, exitUsage, "", "give one"},
		{"unknown profile", []string{"serve", "--profile", "nope"}, exitUsage, "", `no such profile "nope"; the profiles are: behind-lb, internal-mtls, public-edge, tls-server`},
		{"dev-tls with a tls: section", []string{"serve", "--profile", "tls-server", "--dev-tls"}, exitUsage, "", "has a tls: section"},
		{"misspelt key", []string{"serve", "--config", bad}, exitFailed, "", `server.timeouts.read_headers: unknown-key: is not a key of server.timeouts; did you mean "read_header"?`},
		{"invalid config", []string{"serve", "--config", invalid}, exitFailed, "", "header-timeout"},
		{"missing file", []string{"serve", "--config", filepath.Join(t.TempDir(), "none.yaml")}, exitFailed, "", "no such file"},
		{"stray argument", []string{"serve", "now"}, exitUsage, "", `unexpected argument "now"`},
	}
	runCLICases(t, cases)
}

// cliCase is a command line and what it must answer.
type cliCase struct {
	name   string
	args   []string
	code   int    // the exit status; -1: any
	stdout string // a fragment stdout must contain
	stderr string // a fragment stderr must contain
}

func runCLICases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tc.args...)
			if (tc.code >= 0 && code != tc.code) || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit status %d (want %d)\nstdout (want %q):\n%s\nstderr (want %q):\n%s", code, tc.code, tc.stdout, stdout, tc.stderr, stderr)
			}
		})
	}
}

// runMainEnv makes the test binary run main() instead of the tests, so a
// test can run the command as a process and signal it.
const runMainEnv = "HARDEN_TEST_RUN_MAIN"

// startProcess runs the command "harden args..." as a process: this test
// binary, running main. It returns a scanner of its stdout and its stderr.
func startProcess(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // the test failed before the process exited
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, bufio.NewScanner(stdout), stderr
}

// SIGTERM, as Kubernetes sends it, drains and stops the real process with
// exit status 0, answering the request it is serving.
func TestServeStopsOnSIGTERM(t *testing.T) {
	cmd, sc, stderr := startProcess(t, "serve", "--config", testConfig(t, "-1s"))
	var url string
	for url == "" && sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "serving" {
			url = f[1]
		}
	}
	if url == "" {
		t.Fatalf("the process printed no address; stderr:\n%s", stderr.String())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url + "/stream?n=10")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if _, err := r.ReadString('\n'); err != nil { // the handler is running
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !strings.HasSuffix(string(rest), "line 10 of 10\n") {
		t.Errorf("the stream in flight at SIGTERM got %q, %v; want it to finish", rest, err)
	}
	var tail strings.Builder
	for sc.Scan() {
		tail.WriteString(sc.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil || !strings.Contains(tail.String(), "stopped: every request was answered") {
		t.Errorf("exit: %v; output after SIGTERM:\n%s\nstderr:\n%s", err, tail.String(), stderr.String())
	}
}

// A second signal during the drain stops the process at once instead of
// after shutdown.drain_delay (ten minutes here).
func TestServeSecondSignalStopsAtOnce(t *testing.T) {
	cmd, sc, stderr := startProcess(t, "serve", "--config", testConfig(t, "10m"))
	signals := map[string]os.Signal{"stop:": syscall.SIGTERM, "draining:": os.Interrupt}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if sig, ok := signals[f[0]]; ok {
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v; stderr:\n%s", err, stderr.String())
	}
}
