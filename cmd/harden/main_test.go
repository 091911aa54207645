package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/benchmarks/scenarios"
	"github.com/harden-go/harden/httpx"
)

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" { // a test runs the command in a child process
		main()
	}
	goleak.VerifyTestMain(m)
}

// testBounds keep the scenarios a test runs short.
var testBounds = scenarios.Bounds{
	ReadHeader:     100 * time.Millisecond,
	Idle:           time.Second,
	BodyWindow:     100 * time.Millisecond,
	Handler:        100 * time.Millisecond,
	Drain:          100 * time.Millisecond,
	Shutdown:       500 * time.Millisecond,
	MaxHeaderBytes: 8 << 10,
	MaxBodyBytes:   64 << 10,
	Scale:          0.1,
	Client:         clientBoundsOf(scorecardClientConfig()),
}

// headerLimited is net/http with a header timeout and a header limit:
// defended against slow headers and header bombs, nothing else.
func headerLimited(b scenarios.Bounds) scenarios.Target {
	return scenarios.Target{
		Name: "header limits",
		Serve: func(l net.Listener, h http.Handler) (func(context.Context) error, error) {
			srv := &http.Server{Handler: h, ReadHeaderTimeout: b.ReadHeader, MaxHeaderBytes: int(b.MaxHeaderBytes)}
			go func() { _ = srv.Serve(l) }()
			return srv.Shutdown, nil
		},
	}
}

// testBench compares the zero value with headerLimited; subject names the
// target that must be defended.
func testBench(subject string) bench {
	return bench{
		lineups: map[scenarios.Kind]lineup{
			scenarios.Server: {targets: []scenarios.Target{scenarios.ZeroValue(), headerLimited(testBounds)}, subject: subject},
			scenarios.TLS:    {targets: []scenarios.Target{scenarios.LoadOnce(), hardenTLSTarget()}, subject: "harden"},
			scenarios.Client: {targets: []scenarios.Target{scenarios.DefaultClient(), hardenClientTarget(scorecardClientConfig())}, subject: "harden"},
		},
		bounds:   testBounds,
		settings: "test bounds",
	}
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut, testBench("header limits"))
	return code, out.String(), errOut.String()
}

func TestArguments(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     string // a line fragment stdout must contain
		stderr     string // a line fragment stderr must contain
		quietOnOut bool   // nothing may reach stdout
	}{
		{name: "no command", args: nil, code: exitUsage, stderr: "Commands:", quietOnOut: true},
		{name: "--help", args: []string{"--help"}, code: exitOK, stdout: "scorecard   attack"},
		{name: "-h", args: []string{"-h"}, code: exitOK, stdout: "Usage:"},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: "Usage:"},
		{name: "help scorecard", args: []string{"help", "scorecard"}, code: exitOK, stdout: "Reading the table"},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, stderr: `unknown command "frobnicate"`, quietOnOut: true},
		{name: "scorecard --help", args: []string{"scorecard", "--help"}, code: exitOK, stdout: "harden scorecard [--json] [--scenario NAME]"},
		{name: "scorecard -h", args: []string{"scorecard", "-h"}, code: exitOK, stdout: "Reading the table"},
		{name: "unknown flag", args: []string{"scorecard", "--fast"}, code: exitUsage, stderr: "flag provided but not defined: -fast", quietOnOut: true},
		{name: "flag without value", args: []string{"scorecard", "--scenario"}, code: exitUsage, stderr: "flag needs an argument", quietOnOut: true},
		{name: "unknown scenario", args: []string{"scorecard", "--scenario", "nope"}, code: exitUsage, stderr: `no scenario "nope"; the scenarios are: unattacked, slow-headers, `, quietOnOut: true},
		{name: "stray argument", args: []string{"scorecard", "now"}, code: exitUsage, stderr: `unexpected argument "now"`, quietOnOut: true},
		{name: "bench --help", args: []string{"bench", "--help"}, code: exitOK, stdout: "harden bench [--quick] [--rounds N]"},
		{name: "bench argument", args: []string{"bench", "now"}, code: exitUsage, stderr: "takes no arguments", quietOnOut: true},
		{name: "bench negative rounds", args: []string{"bench", "--rounds", "-1"}, code: exitUsage, stderr: "positive --rounds", quietOnOut: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tc.args...)
			if code != tc.code {
				t.Errorf("exit status = %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
			if tc.quietOnOut && stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestHelpTeaches(t *testing.T) {
	_, root, _ := runCLI("--help")
	_, sc, _ := runCLI("scorecard", "--help")
	for _, cmd := range []string{"scorecard", "lint", "explain", "serve", "doctor"} {
		if !strings.Contains(root, "\n  "+cmd+" ") {
			t.Errorf("root help does not list %q", cmd)
		}
	}
	for _, want := range []string{"Examples:", "harden scorecard --scenario slow-headers --json", "Exit status", "test bounds"} {
		if !strings.Contains(sc, want) {
			t.Errorf("scorecard help lacks %q", want)
		}
	}
	for _, s := range scenarios.All() {
		if !strings.Contains(sc, "  "+s.Name+"\n") {
			t.Errorf("scorecard help does not list scenario %q", s.Name)
		}
	}
	// Each table is introduced by its title and its targets.
	for _, want := range []string{"\nSCENARIO: HTTP servers under attack (net/http zero value, header limits)\n", "\nTLS SCENARIO: ways of running a TLS server"} {
		if !strings.Contains(sc, want) {
			t.Errorf("scorecard help lacks %q", want)
		}
	}
}

func TestScorecardJSON(t *testing.T) {
	cases := []struct {
		scenario string
		status   []int // what each target answered, zero value first
	}{
		{scenario: "header-bomb", status: []int{http.StatusOK, http.StatusRequestHeaderFieldsTooLarge}},
		{scenario: "slow-headers", status: []int{0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI("scorecard", "--scenario", tc.scenario, "--json")
			if code != exitOK {
				t.Fatalf("exit status = %d, want %d\nstderr: %s", code, exitOK, stderr)
			}
			if want := "[1/1] " + tc.scenario + " ..."; !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks the progress line %q:\n%s", want, stderr)
			}
			var rep report
			dec := json.NewDecoder(strings.NewReader(stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rep); err != nil {
				t.Fatalf("stdout is not a report: %v\n%s", err, stdout)
			}
			if !rep.Defended || len(rep.Tables) != 1 || rep.Tables[0].Kind != scenarios.Server || rep.Tables[0].Subject != "header limits" ||
				len(rep.Tables[0].Scenarios) != 1 || rep.Tables[0].Scenarios[0].Name != tc.scenario {
				t.Fatalf("report = %+v, want the defended subject and one server table with one %s result", rep, tc.scenario)
			}
			got := rep.Tables[0].Scenarios[0].Outcomes
			if len(got) != 2 || got[0].Target != "net/http zero value" || got[1].Target != "header limits" {
				t.Fatalf("outcomes = %+v, want the zero value then header limits", got)
			}
			if got[0].Defended || !got[1].Defended {
				t.Errorf("defended = %v, %v; want the zero value exposed and header limits defended", got[0].Defended, got[1].Defended)
			}
			for i, o := range got {
				if o.Status != tc.status[i] || o.Summary == "" {
					t.Errorf("%s: status %d, summary %q; want status %d and a summary", o.Target, o.Status, o.Summary, tc.status[i])
				}
			}
		})
	}
}

func TestScorecardTableAndExitStatus(t *testing.T) {
	var out, errOut bytes.Buffer
	// The zero value as the subject is exposed, so the run fails.
	code := run(context.Background(), []string{"scorecard", "--scenario", "header-bomb"}, &out, &errOut, testBench("net/http zero value"))
	if code != exitFailed {
		t.Errorf("exit status = %d, want %d\nstderr: %s", code, exitFailed, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("table has %d lines, want a header and one row:\n%s", len(lines), out.String())
	}
	wantHeader := regexp.MustCompile(`^SCENARIO +NET/HTTP ZERO VALUE +HEADER LIMITS +MEASURED \(net/http zero value vs header limits\)$`)
	if !wantHeader.MatchString(lines[0]) {
		t.Errorf("header = %q", lines[0])
	}
	wantRow := regexp.MustCompile(`^header-bomb +EXPOSED +defended +200 after .*  vs  431 after `)
	if !wantRow.MatchString(lines[1]) {
		t.Errorf("row = %q", lines[1])
	}
}

func TestInterruptedRunFails(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"scorecard", "--json"}, &out, &errOut, testBench("header limits"))
	want := fmt.Sprintf("interrupted after 0 of %d scenarios", len(scenarios.All()))
	if code != exitFailed || !strings.Contains(errOut.String(), want) {
		t.Errorf("exit status %d, stderr %q; want %d and the interruption named", code, errOut.String(), exitFailed)
	}
}

// TestHardenWiring runs the fast scenarios against the harden target as
// the scorecard configures it, to show the wiring serves harden's guards.
func TestHardenWiring(t *testing.T) {
	b, err := defaultBench()
	if err != nil {
		t.Fatal(err)
	}
	l := b.lineups[scenarios.Server]
	if len(l.targets) != 2 || l.targets[1].Name != l.subject || l.subject != "harden" {
		t.Fatalf("targets %v, subject %q; want the zero value and harden", l.names(), l.subject)
	}
	cfg := httpx.DefaultServerConfig()
	if b.bounds.ReadHeader != cfg.Timeouts.ReadHeader.Std() || b.bounds.MaxBodyBytes != int64(cfg.Limits.MaxBodyBytes) || b.bounds.Drain <= scenarios.LBPropagation {
		t.Errorf("bounds %+v do not follow the config %+v", b.bounds, cfg)
	}
	for _, name := range []string{"oversized-body-cl", "oversized-body-chunked", "header-bomb"} {
		t.Run(name, func(t *testing.T) {
			s, _ := scenarios.Find(name)
			o := s.Run(context.Background(), l.targets[1], b.bounds)
			if !o.Defended {
				t.Errorf("harden not defended: %s %s", o.Summary, o.Err)
			}
		})
	}
}

// TestHardenDefendsEveryScenario runs every scenario against a harden
// server whose timeouts are shortened (the limits keep their defaults), so
// each row the scorecard prints for harden is also asserted here.
func TestHardenDefendsEveryScenario(t *testing.T) {
	cfg := httpx.DefaultServerConfig()
	cfg.Timeouts.ReadHeader = 300 * harden.Millisecond
	cfg.Timeouts.Handler = 600 * harden.Millisecond
	cfg.Timeouts.Write = 0 // derived from the handler timeout
	cfg.Limits.BodyStallTimeout = 300 * harden.Millisecond
	cfg.Limits.BodyRateWindow = 300 * harden.Millisecond
	cfg.Limits.MinBodyRate = 0 // derived
	cfg.Shutdown.DrainDelay = harden.Duration(scenarios.LBPropagation) + 500*harden.Millisecond
	cfg.Shutdown.Timeout = harden.Second
	cfg.HTTP2.PingAfter = 300 * harden.Millisecond
	cfg.HTTP2.PingTimeout = harden.Second
	cfg.Limits.WriteStallTimeout = 300 * harden.Millisecond
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	b := boundsOf(cfg)
	b.Scale = 0.1
	target := hardenTarget(cfg)
	// The overload's verdict compares latencies under a load of this
	// process's own making, which the other packages' tests, run beside
	// it with -race, skew; here it is judged on what shedding does
	// whatever the machine's speed: the excess refused, nothing lost, and
	// requests sent late in the overload still answered. Its latency is
	// the scorecard's to report (limits' tests prove the convergence on
	// a fake clock).
	judge := map[string]func(o scenarios.Outcome) bool{
		"overload": func(o scenarios.Outcome) bool { return o.Shed > 0 && o.Lost == 0 && o.AdmittedP99 > 0 },
	}
	for _, s := range scenarios.Of(scenarios.Server) {
		t.Run(s.Name, func(t *testing.T) {
			// The floods and loads run one at a time; the scenarios that
			// only wait run together after them, as the scorecard does.
			if s.Waits {
				t.Parallel()
			}
			defended := func(o scenarios.Outcome) bool { return o.Defended }
			if j, ok := judge[s.Name]; ok {
				defended = j
			}
			o := s.Run(context.Background(), target, b)
			if !defended(o) {
				t.Errorf("harden not defended: %s %s", o.Summary, o.Err)
			}
		})
	}
}

// The legitimate client's p99 under an attack is printed as the ratio
// the scenario measured against the unattacked twin, and nothing is
// printed where there was no legitimate client.
func TestFigurePrintsLegitRatio(t *testing.T) {
	with := targetOutcome{Target: "a", Outcome: scenarios.Outcome{Summary: "s", LegitP99: 3 * time.Millisecond, UnattackedP99: 2 * time.Millisecond, LegitP99VsUnattacked: 1.5}}
	if got := figure(with); got != "s; legit p99 1.5× unattacked twin" {
		t.Errorf("figure = %q, want the ratio", got)
	}
	without := targetOutcome{Target: "a", Outcome: scenarios.Outcome{Summary: "s"}}
	if got := figure(without); got != "s" {
		t.Errorf("figure = %q, want the summary alone", got)
	}
}
