package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/harden-go/harden/httpx"
)

// Statuses of a check.
const (
	statusOK   = "ok"
	statusWarn = "warn"
	statusFail = "fail"
)

// checkResult is the outcome of one doctor check.
type checkResult struct {
	Check  string `json:"check"`
	Status string `json:"status"` // ok, warn or fail
	Found  string `json:"found"`
	Fix    string `json:"fix,omitempty"`
}

// doctorEnv is what the checks look at: the process doctor runs in, or,
// in tests, a fake one.
type doctorEnv struct {
	goVersion   string // the Go release the checked binary was built with
	binary      string // the checked binary; "" for this one
	cgroupRoot  string // "/" or a fake tree
	gomaxprocs  int
	numCPU      int
	maxprocsEnv string // the GOMAXPROCS environment variable
	memLimit    int64  // the GC's memory limit; math.MaxInt64 when unset
	openFiles   uint64 // the soft RLIMIT_NOFILE; 0 when unknown
	propagator  propagation.TextMapPropagator
	tracers     trace.TracerProvider
	meters      metric.MeterProvider
	mux         *http.ServeMux
	now         time.Time
}

// processEnv describes this process.
func processEnv() doctorEnv {
	return doctorEnv{
		goVersion:   runtime.Version(),
		cgroupRoot:  "/",
		gomaxprocs:  runtime.GOMAXPROCS(0),
		numCPU:      runtime.NumCPU(),
		maxprocsEnv: os.Getenv("GOMAXPROCS"),
		memLimit:    debug.SetMemoryLimit(-1),
		openFiles:   openFileLimit(),
		propagator:  otel.GetTextMapPropagator(),
		tracers:     otel.GetTracerProvider(),
		meters:      otel.GetMeterProvider(),
		mux:         http.DefaultServeMux,
		now:         time.Now(),
	}
}

// runChecks runs every check that applies to env and the config cfg (nil
// without --config).
func runChecks(env doctorEnv, cfg *fileConfig) []checkResult {
	cg, cgErr := readCgroupLimits(env.cgroupRoot)
	res := []checkResult{
		checkGoVersion(env),
		checkGOMAXPROCS(env, cg, cgErr),
		checkGOMEMLIMIT(env, cg, cgErr),
		checkOpenFiles(env, cfg),
	}
	if cfg != nil && cfg.Server != nil {
		res = append(res, checkServerConfig(*cfg.Server))
	}
	if cfg != nil && cfg.TLS != nil {
		res = append(res, checkCertificates(env, cfg))
	}
	return append(res, checkOTel(env), checkPprof(env, cfg))
}

func checkGoVersion(env doctorEnv) checkResult {
	r := checkResult{Check: "go-version"}
	of := "this binary"
	if env.binary != "" {
		of = env.binary
	}
	rel, ok := parseGoVersion(env.goVersion)
	if !ok {
		r.Status, r.Found = statusWarn, fmt.Sprintf("%s was built with %q, not a Go release; its fixes are unknown", of, env.goVersion)
		r.Fix = "build with a Go release"
		return r
	}
	missing, upgrade := missingFixes(rel)
	if len(missing) == 0 && rel.patch < 0 {
		// Fixes land in a minor version's release candidates one by one
		// (CVE-2025-68121 in go1.26rc3), so a pre-release is not vouched for.
		r.Status = statusWarn
		r.Found = fmt.Sprintf("%s was built with %s, a pre-release, which may lack fixes its release has", of, env.goVersion)
		r.Fix = fmt.Sprintf("build with go%d.%d.0 or later", rel.major, rel.minor)
		return r
	}
	if len(missing) == 0 {
		r.Status = statusOK
		r.Found = fmt.Sprintf("%s was built with %s, which has the fixes of %s", of, env.goVersion, cves(goFixes))
		return r
	}
	var lacks []string
	for _, f := range missing {
		lacks = append(lacks, fmt.Sprintf("%s (%s; fixed in %s)", f.CVE, f.What, strings.Join(f.Fixed, ", ")))
	}
	r.Status = statusFail
	r.Found = fmt.Sprintf("%s was built with %s, which lacks the fixes of %s", of, env.goVersion, strings.Join(lacks, "; "))
	r.Fix = fmt.Sprintf("rebuild with %s or a later release of a supported Go version; govulncheck -mode=binary lists every other known vulnerability", upgrade)
	return r
}

func cves(fixes []goFix) string {
	names := make([]string, len(fixes))
	for i, f := range fixes {
		names[i] = f.CVE
	}
	return strings.Join(names, ", ")
}

// checkGOMAXPROCS compares GOMAXPROCS with the CPU quota. Above the quota,
// the runtime runs more threads than the quota pays for and the kernel
// throttles the whole process for the rest of each period (CFS bandwidth
// control), which shows as latency spikes. Go 1.25 and later default
// GOMAXPROCS to the quota of the process's own cgroup, rounded up and at
// least 2 (golang/go#73193).
func checkGOMAXPROCS(env doctorEnv, cg cgroupLimits, cgErr error) checkResult {
	r := checkResult{Check: "gomaxprocs"}
	if cgErr != nil {
		r.Status, r.Found = statusWarn, fmt.Sprintf("GOMAXPROCS %d; the CPU quota could not be read: %v", env.gomaxprocs, cgErr)
		return r
	}
	if cg.cpus == 0 {
		r.Status, r.Found = statusOK, fmt.Sprintf("GOMAXPROCS %d of %d CPUs; no CPU quota", env.gomaxprocs, env.numCPU)
		return r
	}
	want := min(max(int(math.Ceil(cg.cpus)), 2), env.numCPU)
	found := fmt.Sprintf("GOMAXPROCS %d, CPU quota %s CPUs (%s)", env.gomaxprocs, trimFloat(cg.cpus), cg.cpuFile)
	if env.gomaxprocs <= want {
		r.Status, r.Found = statusOK, found
		return r
	}
	r.Status, r.Found = statusWarn, found+": more threads run than the quota pays for, and the kernel throttles the process"
	rel, _ := parseGoVersion(env.goVersion)
	switch {
	case env.maxprocsEnv != "":
		r.Fix = fmt.Sprintf("the environment sets GOMAXPROCS=%s; set it to %d or unset it", env.maxprocsEnv, want)
	case rel.less(goRelease{1, 25, -1}):
		r.Fix = fmt.Sprintf("build with Go 1.25 or later, whose GOMAXPROCS follows the CPU quota, or set GOMAXPROCS=%d", want)
	case cg.leafCPUs == 0:
		r.Fix = fmt.Sprintf("the quota is set on a parent cgroup, which Go does not read (golang/go#81180): set GOMAXPROCS=%d", want)
	default:
		r.Fix = fmt.Sprintf("GODEBUG containermaxprocs=0 or a go.mod older than go 1.25 turns the quota-aware default off; set GOMAXPROCS=%d", want)
	}
	return r
}

func trimFloat(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.2f", f), ".00") }

// checkGOMEMLIMIT compares the GC's memory limit with the cgroup's.
// Without GOMEMLIMIT the GC paces by GOGC alone and lets the heap double
// past the live data, so a container near its limit is OOM-killed where a
// GC aware of the limit would have collected; above the limit, the GC
// reacts too late. The Go GC guide suggests leaving 5-10% of the limit for
// memory the GC does not account for.
func checkGOMEMLIMIT(env doctorEnv, cg cgroupLimits, cgErr error) checkResult {
	r := checkResult{Check: "gomemlimit"}
	set := env.memLimit != math.MaxInt64
	gc := "unset"
	if set {
		gc = httpx.Bytes(env.memLimit).String()
	}
	switch {
	case cgErr != nil:
		r.Status, r.Found = statusWarn, fmt.Sprintf("GOMEMLIMIT %s; the memory limit could not be read: %v", gc, cgErr)
	case cg.memory == 0:
		r.Status, r.Found = statusOK, fmt.Sprintf("GOMEMLIMIT %s; no memory limit", gc)
	default:
		limit := httpx.Bytes(cg.memory).String()
		suggest := httpx.Bytes(cg.memory / 10 * 9 &^ (1<<20 - 1)).String() // 90%, in whole MiB
		switch {
		case !set:
			r.Status = statusWarn
			r.Found = fmt.Sprintf("GOMEMLIMIT unset, memory limit %s (%s): the GC does not know the limit, and the heap can grow past it before a collection", limit, cg.memFile)
			r.Fix = fmt.Sprintf("set GOMEMLIMIT=%s (90%% of the limit, leaving room for memory outside the Go heap)", suggest)
		case env.memLimit > cg.memory:
			r.Status = statusFail
			r.Found = fmt.Sprintf("GOMEMLIMIT %s is above the memory limit %s (%s): the kernel kills the process before the GC holds back", gc, limit, cg.memFile)
			r.Fix = fmt.Sprintf("set GOMEMLIMIT=%s", suggest)
		default:
			r.Status, r.Found = statusOK, fmt.Sprintf("GOMEMLIMIT %s within the memory limit %s", gc, limit)
		}
	}
	return r
}

// checkOpenFiles compares the open-file limit with server.limits.max_connections
// (rule fd-budget): every connection is a file descriptor, and at the limit
// accept(2) fails with EMFILE for everything, log files and outbound calls
// included.
func checkOpenFiles(env doctorEnv, cfg *fileConfig) checkResult {
	r := checkResult{Check: "open-files", Status: statusOK}
	if env.openFiles == 0 {
		r.Found = "no open-file limit to read on this system"
		return r
	}
	if cfg == nil || cfg.Server == nil {
		r.Found = fmt.Sprintf("open-file limit %d; no server config to compare max_connections with", env.openFiles)
		return r
	}
	n := cfg.Server.Limits.MaxConnections
	switch {
	case n == 0:
		r.Found = fmt.Sprintf("open-file limit %d; max_connections is derived from it", env.openFiles)
	case n < 0:
		r.Status = statusWarn
		r.Found = fmt.Sprintf("open-file limit %d; max_connections is uncapped, so a connection flood exhausts the descriptors", env.openFiles)
		r.Fix = "set server.limits.max_connections to 0 (derived) or below three quarters of the limit"
	case uint64(n) >= env.openFiles:
		r.Status = statusFail
		r.Found = fmt.Sprintf("max_connections %d is at or above the open-file limit %d", n, env.openFiles)
		r.Fix = fmt.Sprintf("lower server.limits.max_connections below %d, or raise the limit (ulimit -n, LimitNOFILE=, the container runtime's nofile)", env.openFiles*3/4)
	case uint64(n) > env.openFiles*3/4:
		r.Status = statusWarn
		r.Found = fmt.Sprintf("max_connections %d leaves less than a quarter of the open-file limit %d for files and outbound connections", n, env.openFiles)
		r.Fix = fmt.Sprintf("lower server.limits.max_connections to %d or less", env.openFiles*3/4)
	default:
		r.Found = fmt.Sprintf("max_connections %d within the open-file limit %d", n, env.openFiles)
	}
	return r
}

// checkServerConfig reports the problems httpx.ServerConfig.Validate finds.
func checkServerConfig(cfg httpx.ServerConfig) checkResult {
	r := checkResult{Check: "server-config", Status: statusOK, Found: "server: passes every rule of httpx's validation"}
	if err := cfg.Validate(); err != nil {
		r.Status, r.Found = statusFail, problems(err)
		r.Fix = "change each key as its problem says"
	}
	return r
}

// problems lists the config errors of err, joined with errors.Join, one
// per line.
func problems(err error) string {
	var lines []string
	for _, e := range unjoin(err) {
		lines = append(lines, e.Error())
	}
	return strings.Join(lines, "\n")
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var all []error
		for _, e := range j.Unwrap() {
			all = append(all, unjoin(e)...)
		}
		return all
	}
	return []error{err}
}

// expirySoon is when a certificate's coming expiry is worth a warning: a
// month leaves time to chase a manual renewal (tlsx warns in its log at
// the same point).
const expirySoon = 30 * 24 * time.Hour

// checkCertificates validates the tls: section's files with tlsx (key pair,
// chain, validity, usage, CA) and warns when the certificate expires soon.
func checkCertificates(env doctorEnv, cfg *fileConfig) checkResult {
	r := checkResult{Check: "tls-certificates"}
	if err := cfg.TLS.Validate(); err != nil {
		r.Status, r.Found = statusFail, problems(err)
		r.Fix = "replace the files named, or change the keys, as each problem says"
		return r
	}
	leaf, err := readLeaf(cfg.TLS.CertFile)
	if err != nil {
		r.Status, r.Found = statusFail, err.Error()
		return r
	}
	left := leaf.NotAfter.Sub(env.now)
	r.Found = fmt.Sprintf("%s: valid, key matches, chain in order; expires %s (in %s)",
		cfg.TLS.CertFile, leaf.NotAfter.UTC().Format(time.DateOnly), roundDays(left))
	r.Status = statusOK
	if left < expirySoon {
		r.Status = statusWarn
		r.Fix = "renew the certificate; check that its automated renewal runs"
	}
	return r
}

func roundDays(d time.Duration) string {
	if d < 48*time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

// readLeaf parses the first certificate of a PEM file.
func readLeaf(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return nil, fmt.Errorf("%s: no certificate", file)
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// checkOTel reports whether the process has installed an OpenTelemetry
// propagator and providers. Until it has, the globals are no-ops: harden's
// servers still read the caller's W3C trace context for their log lines,
// but record no spans and no metrics, and clients propagate nothing.
func checkOTel(env doctorEnv) checkResult {
	r := checkResult{Check: "otel-globals", Status: statusOK}
	var unset []string
	if len(env.propagator.Fields()) == 0 {
		unset = append(unset, "propagator (otel.SetTextMapPropagator)")
	}
	if isNoop(env.tracers) {
		unset = append(unset, "tracer provider (otel.SetTracerProvider)")
	}
	if isNoop(env.meters) {
		unset = append(unset, "meter provider (otel.SetMeterProvider)")
	}
	if len(unset) == 0 {
		r.Found = "a propagator, a tracer provider and a meter provider are installed"
		return r
	}
	r.Status = statusWarn
	r.Found = "in this process the global " + strings.Join(unset, ", ") + " is the no-op default"
	if len(unset) > 1 {
		r.Found = "in this process the global " + strings.Join(unset[:len(unset)-1], ", ") + " and " + unset[len(unset)-1] + " are the no-op defaults"
	}
	r.Fix = "install them at start, or pass providers to httpx with WithTracerProvider, WithMeterProvider and WithPropagators"
	return r
}

// isNoop reports whether p is OpenTelemetry's default global provider
// (which delegates to nothing until one is set) or an explicit no-op one.
// otel exports no way to ask; the type names are stable across its
// releases.
func isNoop(p any) bool {
	switch fmt.Sprintf("%T", p) {
	case "*global.tracerProvider", "*global.meterProvider", "noop.TracerProvider", "noop.MeterProvider", "<nil>":
		return true
	}
	return false
}

// checkPprof probes the process's http.DefaultServeMux for the profiles
// that importing net/http/pprof registers on it, and checks that the
// config does not expose the admin listener's profiles.
func checkPprof(env doctorEnv, cfg *fileConfig) checkResult {
	r := checkResult{Check: "pprof", Status: statusOK}
	rec := httptest.NewRecorder()
	env.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
	var found []string
	if rec.Code == http.StatusOK {
		r.Status = statusWarn
		found = append(found, "http.DefaultServeMux serves /debug/pprof/ in this process (net/http/pprof is imported): any server that serves it publishes profiles")
		r.Fix = "serve your own mux (httpx refuses DefaultServeMux, rule no-default-mux) and profiles on the admin listener only"
	} else {
		found = append(found, "http.DefaultServeMux serves no profiles in this process")
	}
	if cfg != nil && cfg.Server != nil && cfg.Server.Admin.Expose && !cfg.Server.Admin.DisablePprof {
		r.Status = statusWarn
		found = append(found, "server.admin.expose publishes the admin listener's profiles beyond loopback")
		r.Fix = strings.TrimPrefix(r.Fix+"; set server.admin.disable_pprof, or keep the admin port out of every Service and Ingress", "; ")
	}
	r.Found = strings.Join(found, "; ")
	return r
}
