package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

const helpHintDoctor = `Run "harden doctor --help" for usage.`

const doctorHelp = `Usage:
  harden doctor [--config FILE] [--binary FILE] [--json]

Doctor checks the host, the Go runtime and a harden config for what the
config alone cannot show, and says for each check ok, warn or fail, what
it found and how to fix it. Run it where the server runs (in its
container), with the server's config.

Flags:
  --config FILE   a harden config file (server: and tls: sections), as
                  harden serve reads it
  --binary FILE   check the Go release FILE was built with, instead of
                  this binary's
  --json          print the results as JSON instead of a table

Checks:
  go-version        the Go release has the fixes of the net/http and
                    crypto/tls vulnerabilities harden's defences rest on
                    (HTTP/2 rapid reset CVE-2023-39325, CONTINUATION flood
                    CVE-2023-45288, chunked request smuggling
                    CVE-2025-22871, ...; --json lists them all)
  gomaxprocs        GOMAXPROCS is within the cgroup CPU quota (cpu.max,
                    cpu.cfs_quota_us), the tightest of the process's
                    cgroup and its parents
  gomemlimit        GOMEMLIMIT is set, and below the cgroup memory limit
                    (memory.max, memory.limit_in_bytes)
  open-files        server.limits.max_connections fits the open-file limit
  server-config     the server: section passes httpx's validation
  tls-certificates  the tls: section's files: validity, chain order, key
                    match, key usage, and expiry within 30 days
  otel-globals      an OpenTelemetry propagator and providers are installed
  pprof             http.DefaultServeMux carries no profiles, and the
                    admin listener's are not exposed
  The last two look at the process they run in, harden doctor itself: a
  Go program that installs nothing and imports no net/http/pprof.

Examples:
  harden doctor
  harden doctor --config harden.yaml
  harden doctor --binary ./bin/server --json

Exit status: 0 when no check failed (warnings allowed), 1 when one did, 2
on a usage error.
`

// doctorReport is the --json output.
type doctorReport struct {
	Checks []checkResult `json:"checks"`
	Fixes  []goFix       `json:"go_fixes"` // what go-version checks
}

// doctor runs the doctor command on env and returns the exit status.
func doctor(args []string, stdout, stderr io.Writer, env doctorEnv) int {
	fs := newFlagSet("doctor", stderr)
	file := fs.String("config", "", "a harden config `FILE`")
	binary := fs.String("binary", "", "a Go binary")
	asJSON := fs.Bool("json", false, "print JSON")
	if code, done := parseFlagsNoArgs(fs, args, doctorHelp, helpHintDoctor, stdout, stderr); done {
		return code
	}
	var cfg *fileConfig
	if *file != "" {
		c, _, err := loadConfig(*file, "")
		if err != nil {
			fmt.Fprintf(stderr, "harden doctor: %v\n", err)
			return exitFailed
		}
		cfg = &c
	}
	if *binary != "" {
		info, err := buildinfo.ReadFile(*binary)
		if err != nil {
			fmt.Fprintf(stderr, "harden doctor: %v\n", err)
			return exitFailed
		}
		env.goVersion, env.binary = info.GoVersion, *binary
	}
	results := runChecks(env, cfg)
	var err error
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(doctorReport{Checks: results, Fixes: goFixes})
	} else {
		err = writeChecks(stdout, results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "harden doctor: %v\n", err)
		return exitFailed
	}
	for _, r := range results {
		if r.Status == statusFail {
			return exitFailed
		}
	}
	return exitOK
}

// writeChecks prints results as a table, wrapped for a terminal: the
// fix of a check that is not ok under what it found.
func writeChecks(w io.Writer, results []checkResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tFOUND")
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
		lines := wrapLines(r.Found, 56)
		if r.Fix != "" {
			lines = append(lines, wrapLines("fix: "+r.Fix, 56)...)
		}
		for i, l := range lines {
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Check, r.Status, l)
			} else {
				fmt.Fprintf(tw, "\t\t%s\n", l)
			}
		}
	}
	fmt.Fprintf(tw, "\n%d ok, %d warn, %d fail\n", counts[statusOK], counts[statusWarn], counts[statusFail])
	return tw.Flush()
}

// wrapLines breaks text into lines of at most width columns at spaces,
// keeping its own line breaks.
func wrapLines(text string, width int) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		var sb strings.Builder
		wrap(&sb, para, "", width)
		out = append(out, strings.Split(strings.TrimSuffix(sb.String(), "\n"), "\n")...)
	}
	return out
}
