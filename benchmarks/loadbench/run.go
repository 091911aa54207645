package loadbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Config is what [Run] measures and where it writes.
type Config struct {
	// Root is the checkout of harden to build from (the directory of its
	// go.mod).
	Root string
	// Rounds, Warmup and Duration: every variant is measured once per
	// round, for Duration after Warmup.
	Rounds           int
	Warmup, Duration time.Duration
	// BenchTime is the -benchtime of the Go benchmarks.
	BenchTime string
	// Command is the command line to print in the report.
	Command string
	// Report is the Markdown file to write; Chart the SVG beside it.
	Report, Chart string
	// Progress receives a line per measurement.
	Progress io.Writer
}

// QuickConfig and FullConfig are the settings of `harden bench --quick`
// and `harden bench`.
func QuickConfig(root string) Config {
	return Config{Root: root, Rounds: 1, Warmup: time.Second, Duration: 1500 * time.Millisecond, BenchTime: "200ms"}
}

func FullConfig(root string) Config {
	return Config{Root: root, Rounds: 3, Warmup: 2 * time.Second, Duration: 5 * time.Second, BenchTime: "1s"}
}

// job is one variant under one protocol.
type job struct {
	proto   string // "h1" or "h2"
	bin     string // "benchserver" or "peerserver"
	variant string
	label   string
}

func (j job) key() string { return j.proto + "/" + j.variant }

// jobs are every measurement of a round, raw first in each protocol.
func jobs() []job {
	h1 := []job{
		{"h1", "benchserver", "raw", "raw net/http"},
		{"h1", "peerserver", "chi", "chi RequestID+Logger+Recoverer"},
		{"h1", "peerserver", "otelhttp", "otelhttp alone (no-op providers)"},
		{"h1", "peerserver", "peers", "peers: chi+otelhttp (SDK 1%)+zap"},
		{"h1", "benchserver", "defaults", "harden defaults"},
		{"h1", "benchserver", "production", "harden production (zap+SDK 1%)"},
		{"h1", "benchserver", "layer-requestid", "layer: RequestID"},
		{"h1", "benchserver", "layer-trace-noop", "layer: Trace (no-op)"},
		{"h1", "benchserver", "layer-trace-sdk", "layer: Trace (SDK 1%)"},
		{"h1", "benchserver", "layer-accesslog", "layer: AccessLog (zap)"},
		{"h1", "benchserver", "layer-recover", "layer: Recover"},
		{"h1", "benchserver", "layer-concurrency", "layer: Concurrency"},
		{"h1", "benchserver", "layer-timeout", "layer: Timeout"},
		{"h1", "benchserver", "layer-body", "layer: Body"},
		{"h1", "benchserver", "layer-progress", "layer: Progress"},
	}
	h2 := []job{
		{"h2", "benchserver", "raw", "raw net/http"},
		{"h2", "peerserver", "peers", "peers: chi+otelhttp (SDK 1%)+zap"},
		{"h2", "benchserver", "defaults", "harden defaults (tlsx source)"},
		{"h2", "benchserver", "production", "harden production (zap+SDK 1%)"},
	}
	return append(h1, h2...)
}

// sample is one measurement of a job.
type sample struct {
	round int
	res   Result
	err   error
}

// Run builds the servers and the generator, measures every variant in
// every round, runs the Go benchmarks, and writes cfg.Report and
// cfg.Chart.
func Run(ctx context.Context, cfg Config) error {
	pr := cfg.Progress
	if pr == nil {
		pr = io.Discard
	}
	tmp, err := os.MkdirTemp("", "harden-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintln(pr, "building the servers and the load generator...")
	if err := goCmd(ctx, cfg.Root, nil, "build", "-o", tmp+string(filepath.Separator), "./benchmarks/benchserver", "./benchmarks/loadgen"); err != nil {
		return err
	}
	if err := goCmd(ctx, filepath.Join(cfg.Root, "benchmarks", "peers"), nil, "build", "-o", filepath.Join(tmp, "peerserver"), "./cmd/peerserver"); err != nil {
		return err
	}
	pinned := exec.CommandContext(ctx, "taskset", "-c", "0", "true").Run() == nil
	if !pinned {
		fmt.Fprintln(pr, "taskset is missing or refused: running unpinned; the figures include the generator's share of the CPUs")
	}

	all := jobs()
	samples := make(map[string][]sample)
	var gomaxprocs string
	total := cfg.Rounds * len(all)
	began := time.Now()
	n := 0
	for round := range cfg.Rounds {
		// Rotate the order each round, so that no variant always runs
		// right after the same one or at the same time into a round.
		shift := round * len(all) / max(cfg.Rounds, 1)
		order := append(slices.Clone(all[shift:]), all[:shift]...)
		for _, j := range order {
			if err := ctx.Err(); err != nil {
				return err
			}
			n++
			res, gmp, err := measure(ctx, tmp, j, cfg, pinned, 0)
			if gmp != "" {
				gomaxprocs = gmp
			}
			samples[j.key()] = append(samples[j.key()], sample{round: round, res: res, err: err})
			eta := time.Duration(float64(time.Since(began)) / float64(n) * float64(total-n)).Round(time.Second)
			proto := map[string]string{"h1": "HTTP/1.1", "h2": "HTTP/2  "}[j.proto]
			if err != nil {
				fmt.Fprintf(pr, "[%3d/%d] round %d/%d %s %-36s failed: %v (eta %s)\n", n, total, round+1, cfg.Rounds, proto, j.label, err, eta)
				continue
			}
			fmt.Fprintf(pr, "[%3d/%d] round %d/%d %s %-36s %8.0f req/s  p99 %6.2f ms  (eta %s)\n",
				n, total, round+1, cfg.Rounds, proto, j.label, res.RPS, ms(res.P99), eta)
		}
	}

	// Latency at the same offered load: per protocol, the variants but
	// the single layers, at a third of raw's median throughput, a load
	// each of them carries, so that their p99s compare like with like.
	rates := make(map[string]float64)
	var loaded []job
	for _, proto := range []string{"h1", "h2"} {
		var rawRPS []float64
		for _, s := range samples[proto+"/raw"] {
			if s.err == nil {
				rawRPS = append(rawRPS, s.res.RPS)
			}
		}
		if rates[proto] = median(rawRPS) / 3; rates[proto] <= 0 {
			continue
		}
		for _, j := range all {
			if j.proto == proto && !strings.HasPrefix(j.variant, "layer-") {
				j.proto += "load"
				loaded = append(loaded, j)
			}
		}
	}
	for round := range cfg.Rounds {
		shift := round * len(loaded) / max(cfg.Rounds, 1)
		for _, j := range append(slices.Clone(loaded[shift:]), loaded[:shift]...) {
			if err := ctx.Err(); err != nil {
				return err
			}
			rate := rates[strings.TrimSuffix(j.proto, "load")]
			proto := map[string]string{"h1load": "HTTP/1.1", "h2load": "HTTP/2  "}[j.proto]
			res, _, err := measure(ctx, tmp, j, cfg, pinned, rate)
			samples[j.key()] = append(samples[j.key()], sample{round: round, res: res, err: err})
			if err != nil {
				fmt.Fprintf(pr, "[at %.0f req/s] round %d/%d %s %-36s failed: %v\n", rate, round+1, cfg.Rounds, proto, j.label, err)
				continue
			}
			fmt.Fprintf(pr, "[at %.0f req/s] round %d/%d %s %-36s p99 %6.2f ms\n", rate, round+1, cfg.Rounds, proto, j.label, ms(res.P99))
		}
	}

	fmt.Fprintln(pr, "profiling raw, defaults and production once more, for where their CPU goes...")
	profiles := profileJobs(ctx, tmp, cfg, pinned, pr)

	fmt.Fprintln(pr, "running the Go benchmarks for allocations per request...")
	gb, order, err := goBenchmarks(ctx, cfg)
	if err != nil {
		return err
	}
	rep := report{cfg: cfg, pinned: pinned, rates: rates, profiles: profiles, gomaxprocs: gomaxprocs, jobs: all, samples: samples, bench: gb, benchOrder: order}
	rep.machine(ctx)
	if err := rep.chart(ctx, tmp); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.Report, rep.markdown(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(pr, "wrote %s and %s\n", cfg.Report, cfg.Chart)
	return nil
}

// measure starts j's server with serverArgs, runs the generator against
// it (at rate requests per second when positive, in a closed loop
// otherwise), and stops the server.
func measure(ctx context.Context, bin string, j job, cfg Config, pinned bool, rate float64, serverArgs ...string) (r Result, gmp string, err error) {
	args := append([]string{"-variant", j.variant}, serverArgs...)
	h2 := strings.HasPrefix(j.proto, "h2")
	if h2 {
		args = append(args, "-tls")
	}
	srv := pin(ctx, pinned, "0", filepath.Join(bin, j.bin), args...)
	stdin, err := srv.StdinPipe()
	if err != nil {
		return Result{}, "", err
	}
	out, err := srv.StdoutPipe()
	if err != nil {
		return Result{}, "", err
	}
	var serr bytes.Buffer
	srv.Stderr = &serr
	if err := srv.Start(); err != nil {
		return Result{}, "", err
	}
	defer func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
		// The server's CPU time over every request it served, warm-up
		// included: a figure that other load on the machine moves less
		// than throughput.
		if ps := srv.ProcessState; ps != nil && r.Total > 0 {
			r.CPUPerRequest = (ps.UserTime() + ps.SystemTime()) / time.Duration(r.Total)
		}
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return Result{}, "", fmt.Errorf("%s -variant %s did not start: %v %s", j.bin, j.variant, err, serr.String())
	}
	var addr string
	if _, err := fmt.Sscanf(line, "addr %s gomaxprocs %s", &addr, &gmp); err != nil {
		return Result{}, "", fmt.Errorf("server said %q", line)
	}
	gen := []string{"-addr", addr, "-warmup", cfg.Warmup.String(), "-d", cfg.Duration.String()}
	if h2 {
		gen = append(gen, "-h2", "-c", "16", "-m", "10")
	} else {
		gen = append(gen, "-c", "64")
	}
	if rate > 0 {
		gen = append(gen, "-rate", fmt.Sprintf("%.0f", rate))
	}
	lg := pin(ctx, pinned, "1", filepath.Join(bin, "loadgen"), gen...)
	var lerr bytes.Buffer
	lg.Stderr = &lerr
	out2, err := lg.Output()
	if err != nil {
		return Result{}, gmp, fmt.Errorf("loadgen: %v %s", err, lerr.String())
	}
	if err := json.Unmarshal(out2, &r); err != nil {
		return Result{}, gmp, err
	}
	if r.Errors > 0 {
		return r, gmp, fmt.Errorf("%d requests failed", r.Errors)
	}
	return r, gmp, nil
}

// pin is a command for name, run with taskset on cpu when pinned.
func pin(ctx context.Context, pinned bool, cpu, name string, args ...string) *exec.Cmd {
	if pinned {
		return exec.CommandContext(ctx, "taskset", append([]string{"-c", cpu, name}, args...)...)
	}
	return exec.CommandContext(ctx, name, args...)
}

// goCmd runs the go command in dir.
func goCmd(ctx context.Context, dir string, stdout io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return nil
}

// goTool is the go command on PATH, the one `go run` was started with.
func goTool() string { return "go" }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median of xs, which it sorts; 0 when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
}

// profiled are the variants whose CPU profile the report breaks down:
// raw net/http, and harden's two setups, under each protocol.
var profiled = []string{"raw", "defaults", "production"}

// profileShow selects the lines of a profile the report keeps: harden's
// own code, the libraries its production setup calls, and the runtime
// and system work that a request's cost is made of.
const profileShow = `harden-go|zap|otel|internal/poll\.setDeadlineImpl|runtime\.mallocgc$|runtime\.gcBgMarkWorker$|syscall\.(read|write)$|net/http\.\(\*conn\)\.(serve|readRequest)$|net/http\.\(\*response\)\.finishRequest$|crypto/tls\.\(\*Conn\)\.(Read|Write)$|net/http\.\(\*http2serverConn\)\.(serve|runHandler)$|runtime\.copystack$|time\.Now$`

// profileJobs measures the profiled variants once more each, with the
// server writing a CPU profile, and returns, by job key, the profile's
// cumulative top lines as go tool pprof prints them, with the CPU per
// request of that run. A variant that fails is left out.
func profileJobs(ctx context.Context, tmp string, cfg Config, pinned bool, pr io.Writer) map[string]profile {
	out := make(map[string]profile)
	for _, j := range jobs() {
		if !slices.Contains(profiled, j.variant) || j.bin != "benchserver" {
			continue
		}
		file := filepath.Join(tmp, j.proto+"-"+j.variant+".prof")
		res, _, err := measure(ctx, tmp, j, cfg, pinned, 0, "-cpuprofile", file)
		if err != nil {
			fmt.Fprintf(pr, "profiling %s %s failed: %v\n", j.proto, j.label, err)
			continue
		}
		var top bytes.Buffer
		err = goCmd(ctx, cfg.Root, &top, "tool", "pprof", "-top", "-cum", "-nodecount", "40", "-show", profileShow,
			filepath.Join(tmp, "benchserver"), file)
		if err != nil {
			fmt.Fprintf(pr, "reading the profile of %s %s failed: %v\n", j.proto, j.label, err)
			continue
		}
		out[j.key()] = profile{cpu: res.CPUPerRequest, top: pprofLines(top.String())}
	}
	return out
}

// profile is the CPU profile of one run of a variant.
type profile struct {
	cpu time.Duration // server CPU per request in that run
	top string        // go tool pprof -top -cum, from its table's header on
}

// pprofLines is pprof's -top output without the lines that describe the
// file and the binary, which differ from run to run.
func pprofLines(s string) string {
	if i := strings.Index(s, "      flat"); i >= 0 {
		return s[i:]
	}
	return s
}
