package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// healthyEnv is a process with nothing to report: a fixed Go release,
// no cgroup limits, OTel installed, no profiles on DefaultServeMux.
func healthyEnv(t *testing.T) doctorEnv {
	tp := sdktrace.NewTracerProvider()
	mp := sdkmetric.NewMeterProvider()
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return doctorEnv{
		goVersion:  "go1.25.7",
		cgroupRoot: filepath.Join("testdata", "cgroup", "v2-none"),
		gomaxprocs: 8,
		numCPU:     8,
		memLimit:   math.MaxInt64,
		openFiles:  1 << 20,
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		tracers:    tp,
		meters:     mp,
		mux:        http.NewServeMux(),
		now:        time.Now(),
	}
}

// result returns the result of the check called name.
func result(t *testing.T, results []checkResult, name string) checkResult {
	t.Helper()
	for _, r := range results {
		if r.Check == name {
			return r
		}
	}
	t.Fatalf("no %s check among %+v", name, results)
	return checkResult{}
}

func TestParseGoVersion(t *testing.T) {
	cases := []struct {
		in   string
		want goRelease
		ok   bool
	}{
		{"go1.22.2", goRelease{1, 22, 2}, true},
		{"go1.21", goRelease{1, 21, 0}, true},
		{"go1.26rc1", goRelease{1, 26, -1}, true},
		{"go1.25beta1", goRelease{1, 25, -1}, true},
		{"go1.25.1 X:nodwarf5", goRelease{1, 25, 1}, true},
		{"go1.24.2-boring", goRelease{1, 24, 2}, true},
		{"devel go1.27-0123456 Tue Dec 1 2026", goRelease{}, false},
		{"go", goRelease{}, false},
		{"", goRelease{}, false},
	}
	for _, tc := range cases {
		got, ok := parseGoVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseGoVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Each Go release is checked against the first fixed release of its own
// minor version; a minor version that never received a fix needs the
// newest fixed one.
func TestGoVersionCheck(t *testing.T) {
	cases := []struct {
		version string
		status  string
		lacks   []string // CVEs named as missing
		upgrade string
	}{
		{"go1.21.2", statusFail, []string{"CVE-2023-39325", "CVE-2023-45288", "CVE-2025-68121"}, "go1.25.7"},
		{"go1.22.1", statusFail, []string{"CVE-2023-45288", "CVE-2024-24791"}, "go1.25.7"},
		{"go1.24.1", statusFail, []string{"CVE-2025-22871", "CVE-2025-58186", "CVE-2025-58189", "CVE-2025-68121"}, "go1.24.13"},
		{"go1.24.12", statusFail, []string{"CVE-2025-68121"}, "go1.24.13"},
		{"go1.25.6", statusFail, []string{"CVE-2025-68121"}, "go1.25.7"},
		{"go1.24.13", statusOK, nil, ""},
		{"go1.25.7", statusOK, nil, ""},
		{"go1.26.0", statusOK, nil, ""},
		{"devel go1.27-0123456", statusWarn, nil, ""},
		{"go1.26rc1", statusWarn, nil, ""},
		{"go1.22rc1", statusFail, []string{"CVE-2023-45288"}, "go1.25.7"},
	}
	for _, tc := range cases {
		t.Run(tc.version, func(t *testing.T) {
			env := healthyEnv(t)
			env.goVersion = tc.version
			r := checkGoVersion(env)
			if r.Status != tc.status {
				t.Fatalf("status %s, want %s: %+v", r.Status, tc.status, r)
			}
			for _, cve := range tc.lacks {
				if !strings.Contains(r.Found, cve) {
					t.Errorf("found %q does not name %s", r.Found, cve)
				}
			}
			if tc.status == statusFail && !strings.Contains(r.Fix, "rebuild with "+tc.upgrade+" ") {
				t.Errorf("fix %q, want rebuild with %s", r.Fix, tc.upgrade)
			}
			if tc.status == statusOK && strings.Contains(r.Found, "lacks") {
				t.Errorf("found %q", r.Found)
			}
		})
	}
}

// GOMAXPROCS and GOMEMLIMIT are checked against the limits of the fake
// cgroup trees under testdata/cgroup.
func TestCgroupChecks(t *testing.T) {
	const unset = math.MaxInt64
	cases := []struct {
		check      string
		name       string
		tree       string
		gomaxprocs int
		goVersion  string
		env        string // GOMAXPROCS
		memLimit   int64
		status     string
		fix        string
	}{
		{check: "gomaxprocs", name: "no quota", tree: "v2-none", gomaxprocs: 8, status: statusOK},
		// 1.5 CPUs: Go 1.25 rounds up to 2.
		{check: "gomaxprocs", name: "within the quota", tree: "v2-quota", gomaxprocs: 2, status: statusOK},
		{check: "gomaxprocs", name: "above, old Go", tree: "v2-quota", gomaxprocs: 8, goVersion: "go1.24.13", status: statusWarn, fix: "build with Go 1.25 or later"},
		{check: "gomaxprocs", name: "above, set by the environment", tree: "v2-quota", gomaxprocs: 8, env: "8", status: statusWarn, fix: "the environment sets GOMAXPROCS=8; set it to 2"},
		{check: "gomaxprocs", name: "above, quota on a parent", tree: "v2-parent", gomaxprocs: 8, status: statusWarn, fix: "golang/go#81180"},
		{check: "gomaxprocs", name: "above, quota-aware default off", tree: "v1", gomaxprocs: 8, status: statusWarn, fix: "containermaxprocs=0"},
		{check: "gomaxprocs", name: "unreadable quota", tree: "v2-garbled", gomaxprocs: 8, status: statusWarn},
		{check: "gomemlimit", name: "no limits", tree: "v2-none", memLimit: unset, status: statusOK},
		{check: "gomemlimit", name: "GOMEMLIMIT without a container limit", tree: "v2-none", memLimit: 1 << 30, status: statusOK},
		{check: "gomemlimit", name: "container limit, GOMEMLIMIT unset", tree: "v2-quota", memLimit: unset, status: statusWarn, fix: "GOMEMLIMIT=460MiB"},
		{check: "gomemlimit", name: "GOMEMLIMIT above the limit", tree: "v2-quota", memLimit: 1 << 30, status: statusFail, fix: "GOMEMLIMIT=460MiB"},
		{check: "gomemlimit", name: "GOMEMLIMIT within the limit", tree: "v2-quota", memLimit: 460 << 20, status: statusOK},
		{check: "gomemlimit", name: "v1 limit", tree: "v1", memLimit: unset, status: statusWarn, fix: "GOMEMLIMIT=230MiB"},
		{check: "gomemlimit", name: "unreadable limit", tree: "v2-garbled", memLimit: unset, status: statusWarn},
	}
	for _, tc := range cases {
		t.Run(tc.check+"/"+tc.name, func(t *testing.T) {
			env := healthyEnv(t)
			env.cgroupRoot = filepath.Join("testdata", "cgroup", tc.tree)
			env.maxprocsEnv = tc.env
			env.gomaxprocs = cmp.Or(tc.gomaxprocs, env.gomaxprocs)
			env.memLimit = cmp.Or(tc.memLimit, env.memLimit)
			env.goVersion = cmp.Or(tc.goVersion, env.goVersion)
			r := result(t, runChecks(env, nil), tc.check)
			if r.Status != tc.status || !strings.Contains(r.Fix, tc.fix) {
				t.Errorf("got %+v, want status %s and a fix naming %q", r, tc.status, tc.fix)
			}
		})
	}
}

func TestOpenFilesCheck(t *testing.T) {
	cases := []struct {
		name     string
		maxConns int
		status   string
	}{
		{"derived", 0, statusOK},
		{"well below", 1000, statusOK},
		{"less than a quarter left", 3500, statusWarn},
		{"at the limit", 4096, statusFail},
		{"uncapped", -1, statusWarn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := healthyEnv(t)
			env.openFiles = 4096
			cfg := &fileConfig{Server: &httpx.ServerConfig{}}
			cfg.Server.Limits.MaxConnections = tc.maxConns
			r := result(t, runChecks(env, cfg), "open-files")
			if r.Status != tc.status {
				t.Errorf("got %+v, want status %s", r, tc.status)
			}
		})
	}
}

// The tls: section's files are checked by tlsx's validation, and a
// certificate that expires within 30 days is a warning.
func TestCertificateCheck(t *testing.T) {
	ca := tlstest.NewCA(t)
	good := ca.Server(t)
	expired := ca.Issuing(tlstest.Expired).Server(t)
	wrongKey := ca.Issuing(tlstest.WrongKey).Server(t)
	cases := []struct {
		name   string
		cert   *tlstest.Cert
		now    time.Time
		status string
		found  string
	}{
		{"valid for long", good, good.Certificate.NotAfter.Add(-90 * 24 * time.Hour), statusOK, "in 90 days"},
		{"expires within a day", good, time.Now(), statusWarn, "expires"},
		{"expired", expired, time.Now(), statusFail, "validity"},
		{"key does not match", wrongKey, time.Now(), statusFail, "key-pair"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := healthyEnv(t)
			env.now = tc.now
			tlsCfg := tlsx.DefaultServerConfig(tc.cert.CertFile, tc.cert.KeyFile)
			r := result(t, runChecks(env, &fileConfig{TLS: &tlsCfg}), "tls-certificates")
			if r.Status != tc.status || !strings.Contains(r.Found, tc.found) {
				t.Errorf("got %+v, want status %s, found naming %q", r, tc.status, tc.found)
			}
		})
	}
}

func TestOTelCheck(t *testing.T) {
	env := healthyEnv(t)
	if r := checkOTel(env); r.Status != statusOK {
		t.Errorf("with SDK providers and a propagator: %+v", r)
	}
	// What a process that installs nothing gets.
	env.propagator, env.tracers, env.meters = otel.GetTextMapPropagator(), otel.GetTracerProvider(), otel.GetMeterProvider()
	r := checkOTel(env)
	for _, want := range []string{"propagator", "tracer provider", "meter provider"} {
		if r.Status != statusWarn || !strings.Contains(r.Found, want) {
			t.Errorf("with the default globals: %+v, want a warning naming the %s", r, want)
		}
	}
}

func TestPprofCheck(t *testing.T) {
	env := healthyEnv(t)
	if r := checkPprof(env, nil); r.Status != statusOK {
		t.Errorf("empty mux: %+v", r)
	}
	// What importing net/http/pprof does to a mux (imported here, it would
	// change http.DefaultServeMux for every test).
	env.mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("profiles")) })
	if r := checkPprof(env, nil); r.Status != statusWarn || !strings.Contains(r.Found, "serves /debug/pprof/") {
		t.Errorf("mux with profiles: %+v", r)
	}
	exposed := &fileConfig{Server: &httpx.ServerConfig{Admin: httpx.AdminConfig{Addr: ":9090", Expose: true}}}
	env.mux = http.NewServeMux()
	if r := checkPprof(env, exposed); r.Status != statusWarn || !strings.Contains(r.Found, "server.admin.expose") {
		t.Errorf("exposed admin listener: %+v", r)
	}
	exposed.Server.Admin.DisablePprof = true
	if r := checkPprof(env, exposed); r.Status != statusOK {
		t.Errorf("exposed admin listener without pprof: %+v", r)
	}
}

// The command prints a table, or JSON, and exits 1 when a check fails.
func TestDoctorCommand(t *testing.T) {
	invalid := filepath.Join(t.TempDir(), "harden.yaml")
	if err := os.WriteFile(invalid, []byte("server:\n  timeouts:\n    read_header: -1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := func(env doctorEnv, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := doctor(args, &out, &errOut, env)
		return code, out.String(), errOut.String()
	}

	code, out, _ := doc(healthyEnv(t))
	if code != exitOK || !strings.Contains(out, "CHECK") || !strings.Contains(out, "0 warn, 0 fail") {
		t.Errorf("healthy: exit %d\n%s", code, out)
	}

	old := healthyEnv(t)
	old.goVersion = "go1.22.1"
	code, out, _ = doc(old, "--json")
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if code != exitFailed || result(t, rep.Checks, "go-version").Status != statusFail || len(rep.Fixes) != len(goFixes) {
		t.Errorf("old Go: exit %d, %+v", code, rep)
	}

	code, out, _ = doc(healthyEnv(t), "--config", invalid)
	if code != exitFailed || !strings.Contains(out, "server-config  fail") || !strings.Contains(out, "header-timeout") {
		t.Errorf("invalid config: exit %d\n%s", code, out)
	}

	// --binary reads the Go release of another binary: this test's.
	code, out, _ = doc(healthyEnv(t), "--binary", os.Args[0])
	if want := os.Args[0] + " was built with go"; !strings.Contains(strings.Join(strings.Fields(out), " "), want) || code != exitOK {
		t.Errorf("--binary: exit %d, want %q in\n%s", code, want, out)
	}
	if code, _, stderr := doc(healthyEnv(t), "--binary", invalid); code != exitFailed || stderr == "" {
		t.Errorf("--binary on a text file: exit %d, stderr %q", code, stderr)
	}
}

func TestDoctorArguments(t *testing.T) {
	runCLICases(t, []cliCase{
		{"help", []string{"doctor", "--help"}, exitOK, "Examples:\n  harden doctor\n", ""},
		{"help doctor", []string{"help", "doctor"}, exitOK, "CVE-2023-45288", ""},
		{"missing config", []string{"doctor", "--config", filepath.Join(t.TempDir(), "none.yaml")}, exitFailed, "", "no such file"},
		{"stray argument", []string{"doctor", "now"}, exitUsage, "", `unexpected argument "now"`},
		{"unknown flag", []string{"doctor", "--fix"}, exitUsage, "", "flag provided but not defined"},
		// The real process: whatever it finds, the table is printed.
		{"this process", []string{"doctor"}, -1, "CHECK ", ""},
	})
}
