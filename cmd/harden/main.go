// Command harden is the command-line companion of the harden toolkit.
//
// # Commands
//
// harden scorecard runs, on loopback and in-process, the scenarios of
// package benchmarks/scenarios against a baseline and harden side by
// side, and prints one table per kind of scenario: a zero-value net/http
// server and a harden server under attack (slow headers, idle
// connections, slow and oversized bodies, header bombs, overrunning
// handlers, shutdown under load, HTTP/2 floods), then a TLS server that
// loads its certificate once and a tlsx source, on certificate rotation
// and handshake diagnosis:
//
//	go run ./cmd/harden scorecard
//	go run ./cmd/harden scorecard --scenario slow-headers --json
//
// harden lint reads a service's harden config with the Kubernetes,
// Traefik and Envoy files it is deployed with and names each incoherence
// between them; harden explain prints every effective setting of a
// harden config and where it came from (package config):
//
//	go run ./cmd/harden lint service.yaml deployment.yaml traefik.yml
//	go run ./cmd/harden explain service.yaml
//
// harden serve runs a reference server on an embedded reference config
// (or a config file): demo routes that show the body limit, the handler
// timeout and streaming, an admin listener with health checks, profiles
// and Prometheus metrics, and a drain that loses no request on SIGINT or
// SIGTERM. --dev-tls serves HTTPS with a CA made at start:
//
//	go run ./cmd/harden serve --dev-tls
//
// harden doctor checks, where the server runs, what a config cannot show:
// the Go release against the CVE fixes harden relies on, GOMAXPROCS and
// GOMEMLIMIT against the cgroup's CPU and memory limits, the open-file
// limit against max_connections, and the certificates of a config's tls:
// section; it exits 1 when a check fails:
//
//	go run ./cmd/harden doctor --config harden.yaml
//
// harden bench, run in a checkout of harden, measures raw net/http, peer
// stacks and harden's server from the outside, each in its own process,
// and writes BENCHMARKS.md:
//
//	go run ./cmd/harden bench --quick
//
// Run harden --help, or harden <command> --help, for the details.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailed   = 1 // the command ran and found a failure (harden not defended)
	exitUsage    = 2 // the command line was wrong
	helpHintRoot = `Run "harden --help" for usage.`
)

const rootHelp = `harden hardens Go HTTP servers and clients: coordinated timeouts, body and
header limits, a drain-first shutdown. This command shows what that buys.

Usage:
  harden <command> [flags]

Commands:
  scorecard   attack a zero-value net/http server and a harden server,
              in-process on 127.0.0.1, with the same scenarios, and print
              which attacks each one withstood; then compare TLS servers
              on certificate rotation and handshake diagnosis
  lint        name the incoherences of a harden config and of the
              Kubernetes, Traefik and Envoy files deployed with it
  explain     print every effective setting of a harden config and
              where it came from
  serve       run a reference server with demo routes, an admin listener
              with Prometheus /metrics, and a graceful drain on Ctrl-C
  doctor      check the Go release, GOMAXPROCS, GOMEMLIMIT, the open-file
              limit and a config's certificates where the server runs
  bench       measure raw net/http, peer stacks and harden's server, each
              in its own pinned process, and write BENCHMARKS.md

Examples:
  harden scorecard
  harden scorecard --scenario slow-headers --json
  harden lint service.yaml deployment.yaml traefik.yml
  harden explain service.yaml
  harden serve --dev-tls
  harden doctor --config harden.yaml
  harden bench --quick

Run "harden <command> --help" for a command's flags and how to read its
output.
`

func main() {
	b, err := defaultBench()
	if err != nil {
		fmt.Fprintf(os.Stderr, "harden: %v\n", err)
		os.Exit(exitFailed)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, b)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit status. b is
// what the scorecard attacks.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, b bench) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, rootHelp)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "-h", "-help", "--help", "help":
		if len(rest) > 0 && cmd == "help" {
			return run(ctx, []string{rest[0], "--help"}, stdout, stderr, b)
		}
		fmt.Fprint(stdout, rootHelp)
		return exitOK
	case "scorecard":
		return scorecard(ctx, rest, stdout, stderr, b)
	case "lint":
		return lint(rest, stdout, stderr)
	case "explain":
		return explain(rest, stdout, stderr)
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "doctor":
		return doctor(rest, stdout, stderr, processEnv())
	case "bench":
		return benchCmd(ctx, rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "harden: unknown command %q\n%s\n", cmd, helpHintRoot)
		return exitUsage
	}
}
