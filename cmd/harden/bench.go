package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/harden-go/harden/benchmarks/loadbench"
)

const helpHintBench = `Run "harden bench --help" for usage.`

const benchHelp = `Usage:
  harden bench [--quick] [--rounds N]

Bench measures whole servers from the outside and writes BENCHMARKS.md and
benchmarks/ratios.svg at the root of the checkout it runs in (it builds
from the source, so run it there: go run ./cmd/harden bench).

Each variant (raw net/http, chi, otelhttp, chi with otelhttp and a zap
access log, harden's defaults and production setup, and each layer of
harden's chain alone) runs in its own process pinned to CPU 0 with
taskset; the load generator runs pinned to CPU 1: HTTP/1.1 keep-alive
with 64 connections, then HTTP/2 over TLS with 16 connections of 10
streams each, in a closed loop. Variants take turns in an order rotated
each round, and the report gives medians. Then the variants of each
protocol (but the single layers) run again at the same offered load, a
third of raw's throughput, on a fixed schedule, so that their p99
latencies compare like with like. Last, raw net/http and harden's two
setups run once more each under a CPU profile, and the report shows
where their CPU went.
Without taskset (or where it is
refused) everything runs unpinned and the report says so. wrk and h2load
are not needed.

It then runs the Go benchmarks of benchmarks/chainbench,
benchmarks/retrybench and benchmarks/peers for allocations per request,
and draws the chart with benchmarks/report. A full run takes about twelve
minutes; the machine should be otherwise idle.

Flags:
  --quick      one short round (about two minutes), to try it out
  --rounds N   rounds of a full run (default 3)

Exit status: 0 when the report was written, 1 when a build or a run
failed, 2 on a usage error.
`

// benchCmd runs the bench command and returns the exit status.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", stderr)
	quick := fs.Bool("quick", false, "one short round")
	rounds := fs.Int("rounds", 0, "rounds of a full run")
	if code, done := parseFlags(fs, args, benchHelp, helpHintBench, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 0 || *rounds < 0 {
		fmt.Fprintf(stderr, "harden bench: takes no arguments and a positive --rounds\n%s\n", helpHintBench)
		return exitUsage
	}
	root, err := checkoutRoot(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "harden bench: %v\n", err)
		return exitFailed
	}
	cfg := loadbench.FullConfig(root)
	cfg.Command = "go run ./cmd/harden bench"
	if *quick {
		cfg = loadbench.QuickConfig(root)
		cfg.Command = "go run ./cmd/harden bench --quick"
	}
	if *rounds > 0 {
		cfg.Rounds = *rounds
		cfg.Command += fmt.Sprintf(" --rounds %d", *rounds)
	}
	cfg.Report = filepath.Join(root, "BENCHMARKS.md")
	cfg.Chart = filepath.Join(root, "benchmarks", "ratios.svg")
	cfg.Progress = stderr
	if err := loadbench.Run(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "harden bench: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// checkoutRoot is the directory of harden's go.mod around the working
// directory.
func checkoutRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == "/dev/null" {
		return "", fmt.Errorf("not in a checkout of harden: bench builds its servers from the source")
	}
	gomod, err := os.ReadFile(mod)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(gomod, []byte("module github.com/harden-go/harden\n")) {
		return "", fmt.Errorf("%s is not harden's go.mod: run bench from the root of a checkout of harden", mod)
	}
	return filepath.Dir(mod), nil
}
