package loadbench

import (
	"bufio"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serve runs the raw variant of e on loopback until the test ends.
func serve(t *testing.T, e Env) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := Plain(e, nil).(plain)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.hs.Close()
		<-done
	})
	return l.Addr().String()
}

// protocol is a load of one protocol against a server of Hello.
type protocol struct {
	name string
	env  Env
	load Load
}

// protocols are a load of each protocol, on 2 connections (HTTP/2: with
// 5 streams each), with a certificate made for the test.
func protocols(t *testing.T) []protocol {
	dir := t.TempDir()
	cfg, err := selfSigned(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return []protocol{
		{"HTTP/1.1", Env{Handler: Hello()}, Load{Conns: 2}},
		{"HTTP/2", Env{Handler: Hello(), TLS: cfg}, Load{H2: true, Conns: 2, Streams: 5}},
	}
}

// Both protocols complete requests and count none as failed; the
// generator's own parser and framer agree with net/http's server.
func TestGenerate(t *testing.T) {
	for _, tc := range protocols(t) {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.load
			l.Addr = serve(t, tc.env)
			l.Warmup, l.Duration = 50*time.Millisecond, 200*time.Millisecond
			r, err := Generate(l)
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests == 0 || r.Errors != 0 || r.P99 < r.P50 {
				t.Errorf("got %+v, want requests, no errors, p99 >= p50", r)
			}
		})
	}
}

// Under an offered load the generator never sends faster than asked,
// however fast the server answers, over either protocol.
func TestGenerateOfferedLoad(t *testing.T) {
	for _, tc := range protocols(t) {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.load
			l.Addr, l.Rate, l.Duration = serve(t, tc.env), 200, 500*time.Millisecond
			r, err := Generate(l)
			if err != nil {
				t.Fatal(err)
			}
			// Each connection sends every 10ms: at most 51 in the half
			// second.
			if r.Requests == 0 || r.Requests > 102 || r.Errors != 0 {
				t.Errorf("%d requests (%d failed) at 200 req/s for 0.5s, want 1 to 102, none failed", r.Requests, r.Errors)
			}
		})
	}
}

// A server that answers anything but 200 fails the run instead of being
// measured.
func TestGenerateCountsRefusals(t *testing.T) {
	addr := serve(t, Env{Handler: http.NotFoundHandler()})
	r, err := Generate(Load{Addr: addr, Conns: 1, Duration: 50 * time.Millisecond})
	if err == nil || r.Errors == 0 {
		t.Errorf("got %+v, %v; want errors", r, err)
	}
}

func TestGenerateOnlyLoopback(t *testing.T) {
	if _, err := Generate(Load{Addr: "192.0.2.1:80", Conns: 1, Duration: time.Millisecond}); err == nil {
		t.Error("a non-loopback address was accepted")
	}
}

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, resp string
		keep, ok   bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true, true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", true, true},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, true},
		{"status", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", true, false},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tc.resp + "NEXT"))
			keep, err := readResponse(br)
			if keep != tc.keep || (err == nil) != tc.ok {
				t.Fatalf("keep %v, err %v; want keep %v, ok %v", keep, err, tc.keep, tc.ok)
			}
			if rest, _ := br.Peek(4); tc.ok && string(rest) != "NEXT" {
				t.Errorf("left %q, want the next response untouched", rest)
			}
		})
	}
}

// Ratios are taken against raw in the same round, then their median: a
// round on a slower machine moves both.
func TestFiguresRatioPerRound(t *testing.T) {
	res := func(rps float64, p99 time.Duration) Result { return Result{RPS: rps, P99: p99} }
	r := report{jobs: jobs(), samples: map[string][]sample{
		"h1/raw":      {{round: 0, res: res(100, 2)}, {round: 1, res: res(50, 4)}, {round: 2, res: res(100, 2)}},
		"h1/defaults": {{round: 0, res: res(90, 2)}, {round: 1, res: res(45, 4)}, {round: 2, res: res(80, 4)}},
	}}
	f := r.find("h1", "defaults")
	if f.ratio != 0.9 || f.rps != 80 || f.p99Ratio != 1 {
		t.Errorf("got %+v, want ratio 0.9, rps 80, p99 ratio 1", f)
	}
}

// The same-load pass of each protocol has its table, and the p99 goals
// are judged on it rather than on the closed loop; a profiled variant
// gets its breakdown.
func TestReportSameLoadPerProtocol(t *testing.T) {
	res := func(p99 time.Duration) Result { return Result{RPS: 1000, P99: p99} }
	r := report{
		cfg:   Config{Rounds: 1, Report: "BENCHMARKS.md", Chart: "ratios.svg"},
		rates: map[string]float64{"h1": 2000, "h2": 1000},
		jobs:  jobs(),
		profiles: map[string]profile{
			"h1/defaults": {cpu: 15 * time.Microsecond, top: "      flat  flat%   sum%        cum   cum%\n"},
		},
		samples: map[string][]sample{
			"h2/raw":          {{res: res(10 * time.Millisecond)}},
			"h2/defaults":     {{res: res(40 * time.Millisecond)}},
			"h2load/raw":      {{res: res(2 * time.Millisecond)}},
			"h2load/defaults": {{res: res(3 * time.Millisecond)}},
		},
	}
	md := string(r.markdown())
	for _, want := range []string{
		"## HTTP/2 over TLS at the same offered load: 1000 req/s",
		"| harden defaults (tlsx source) | 1000 | 3.00 ms | 1.50 |",
		"| HTTP/2: defaults p99 ≤ 1.5× raw's | 1.50× (at the same offered load, 1000 req/s) | yes |",
		"<summary>HTTP/1.1, harden defaults: 15.0 µs of CPU per request in this run</summary>",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
