package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/harden-go/harden/config"
)

const helpHintLint = `Run "harden lint --help" for usage.`

const lintHelp = `Usage:
  harden lint [--json] [--tls-files] FILE...

Lint reads the files a service is deployed with and names each incoherence
between them: in one harden config, and across the tiers in front of and
around the server. Each file's kind is told from its content (YAML):

  harden config    server:, tls:, client: and upstream: sections, decoded
                   strictly
                   (unknown and repeated keys, wrong types) after HARDEN_*
                   environment overrides
  Kubernetes       Deployment, StatefulSet, DaemonSet, Pod, ... (several
                   documents per file): terminationGracePeriodSeconds,
                   preStop sleep, probes of the container that declares
                   the server's port (or the only container)
  Traefik          static (entryPoints, serversTransport) and dynamic
                   (http.serversTransports, http.services) files
  Envoy            clusters and routes, in a bootstrap or as xDS resources

Values a file does not write take that product's documented default, and
findings say so.

Cross-tier rules:
  idle-above-upstream     the server's idle timeout exceeds the idle timeout
                          of every proxy or load balancer in front of it
  attempt-above-handler   no proxy gives up on a response (response header
                          timeout, route timeout, write timeout) before the
                          server's handler timeout
  body-within-proxy-read  a Traefik entry point's readTimeout lets a body of
                          max_body_bytes arrive at min_body_rate
  shutdown-within-grace   preStop + drain_delay + shutdown.timeout <
                          terminationGracePeriodSeconds
  readiness-within-drain  readiness periodSeconds x failureThreshold <=
                          drain_delay
  probe-reaches-admin     probes on the admin port need an admin listener
                          beyond loopback
  copy-matches-source     upstream_idle and termination_grace, when written,
                          equal the files they copy
  container-found         a workload has a container that runs the server
  idle-below-server       a client's idle timeout is below that of the
                          server of every other harden config linted, and
                          of every Traefik entry point
  attempt-above-handler   ... and its response_header, per_attempt_timeout
                          and total exceed that server's handler timeout
Each section's own rules (header-timeout, write-after-handler,
header-within-total, pool-shape, key-pair, ...) are those of its Validate.

Flags:
  --json        print the findings as a JSON array of objects with rule,
                severity, file, line, key, message and fix
  --tls-files   also report TLS files that cannot be read (the paths usually
                exist only where the service runs)

Examples:
  harden lint service.yaml
  harden lint service.yaml deploy/deployment.yaml traefik.yml dynamic.yml
  HARDEN_SERVER_ADDR=:9000 harden lint --json service.yaml envoy.yaml

Exit status: 0 when no finding is an error, 1 when one is, 2 on a usage
error or a file that cannot be read.
`

// newFlagSet is a flag set that reports its own errors to stderr and
// leaves --help to parseFlags.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs, printing help on --help and hint on a
// wrong flag; done reports that the command ends there with code.
func parseFlags(fs *flag.FlagSet, args []string, help, hint string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, help)
		return exitOK, true
	case err != nil:
		fmt.Fprintln(stderr, hint)
		return exitUsage, true
	}
	return exitOK, false
}

// parseFlagsNoArgs is parseFlags for a command that takes flags only: an
// argument left over is a usage error.
func parseFlagsNoArgs(fs *flag.FlagSet, args []string, help, hint string, stdout, stderr io.Writer) (code int, done bool) {
	if code, done := parseFlags(fs, args, help, hint, stdout, stderr); done {
		return code, done
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "harden %s: unexpected argument %q\n%s\n", fs.Name(), fs.Arg(0), hint)
		return exitUsage, true
	}
	return exitOK, false
}

// lint runs the lint command and returns the exit status.
func lint(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("lint", stderr)
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	tlsFiles := fs.Bool("tls-files", false, "report TLS files that cannot be read")
	if code, done := parseFlags(fs, args, lintHelp, helpHintLint, stdout, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "harden lint: no file to lint\n%s\n", helpHintLint)
		return exitUsage
	}
	docs, err := config.ReadDocuments(fs.Args()...)
	if err != nil {
		fmt.Fprintf(stderr, "harden lint: %v\n", err)
		return exitUsage
	}
	var opts []config.LintOption
	if *tlsFiles {
		opts = append(opts, config.WithTLSFiles())
	}
	findings := config.Lint(docs, opts...)
	if *asJSON {
		err = writeFindingsJSON(stdout, findings)
	} else {
		err = writeFindings(stdout, findings, len(docs))
	}
	if err != nil {
		fmt.Fprintf(stderr, "harden lint: %v\n", err)
		return exitFailed
	}
	if config.HasErrors(findings) {
		return exitFailed
	}
	return exitOK
}

func writeFindingsJSON(w io.Writer, findings []config.Finding) error {
	if findings == nil {
		findings = []config.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(findings)
}

// writeFindings prints one block per finding: severity, rule and place on
// the first line, then the message and the fix, wrapped and indented.
func writeFindings(w io.Writer, findings []config.Finding, files int) error {
	var sb strings.Builder
	errs := 0
	for _, f := range findings {
		where := f.File
		if f.Line > 0 {
			where += fmt.Sprintf(":%d", f.Line)
		}
		if f.Key != "" {
			where += " " + f.Key
		}
		fmt.Fprintf(&sb, "%-7s  %s  %s\n", f.Severity, f.Rule, where)
		wrap(&sb, f.Message, "         ", 100)
		if f.Fix != "" {
			wrap(&sb, "fix: "+f.Fix, "         ", 100)
		}
		if f.Severity == config.SeverityError {
			errs++
		}
	}
	fmt.Fprintf(&sb, "%s, %s in %s\n", count(errs, "error"), count(len(findings)-errs, "warning"), count(files, "file"))
	_, err := io.WriteString(w, sb.String())
	return err
}

// count is "1 file", "2 files".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
