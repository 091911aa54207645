package loadbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// benchLine is one result line of a Go benchmark.
type benchLine struct {
	ns, bytes, allocs float64
}

// benchRE matches "BenchmarkX/sub-2   1000   123.4 ns/op   56 B/op   7 allocs/op".
var benchRE = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) B/op\s+([\d.]+) allocs/op)?`)

// goBenchmarks runs the Go benchmarks the report quotes and returns their
// lines by name, GOMAXPROCS suffix removed.
func goBenchmarks(ctx context.Context, cfg Config) (map[string]benchLine, []string, error) {
	runs := []struct{ dir, pkg, pattern string }{
		{cfg.Root, "./benchmarks/chainbench", "^BenchmarkMiddleware$"},
		{cfg.Root, "./benchmarks/retrybench", "^BenchmarkClient"},
		{filepath.Join(cfg.Root, "benchmarks", "peers"), ".", "^(BenchmarkChain|BenchmarkRetrySuccessInMemory|BenchmarkRetrySuccessLoopback)$"},
	}
	out := make(map[string]benchLine)
	var order []string
	for _, r := range runs {
		var buf bytes.Buffer
		if err := goCmd(ctx, r.dir, &buf, "test", "-run", "^$", "-bench", r.pattern, "-benchmem", "-benchtime", cfg.BenchTime, r.pkg); err != nil {
			return nil, nil, err
		}
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			m := benchRE.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			var l benchLine
			l.ns, _ = strconv.ParseFloat(m[2], 64)
			l.bytes, _ = strconv.ParseFloat(m[3], 64)
			l.allocs, _ = strconv.ParseFloat(m[4], 64)
			if _, seen := out[m[1]]; !seen {
				order = append(order, m[1])
			}
			out[m[1]] = l
		}
	}
	return out, order, nil
}

// report is everything BENCHMARKS.md says.
type report struct {
	cfg        Config
	pinned     bool
	rates      map[string]float64 // "h1", "h2": the offered load of the same-load pass; 0 when not run
	profiles   map[string]profile // by job key: where the CPU of the profiled variants went
	gomaxprocs string
	jobs       []job
	samples    map[string][]sample
	bench      map[string]benchLine
	benchOrder []string // names in the order they ran

	cpu, goVersion string
	when           time.Time
}

func (r *report) machine(ctx context.Context) {
	r.when = time.Now().UTC()
	r.cpu = "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				r.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	r.goVersion = runtime.Version()
	if out, err := exec.CommandContext(ctx, goTool(), "version").Output(); err == nil {
		r.goVersion = strings.TrimSpace(string(out))
	}
}

// figures are the medians of one job over the rounds.
type figures struct {
	ok               bool
	rps, ratio       float64
	p99, p99Ratio    float64 // ms, and × raw's
	cpu, cpuRatio    float64 // server CPU µs per request, and raw's over it
	rounds, failures int
}

// figuresOf returns j's medians; ratios are taken per round against raw
// of the same protocol in the same round, then their median.
func (r *report) figuresOf(j job) figures {
	raw := make(map[int]Result)
	for _, s := range r.samples[j.proto+"/raw"] {
		if s.err == nil {
			raw[s.round] = s.res
		}
	}
	var rps, ratio, p99, p99r, cpu, cpur []float64
	f := figures{}
	for _, s := range r.samples[j.key()] {
		f.rounds++
		if s.err != nil {
			f.failures++
			continue
		}
		rps = append(rps, s.res.RPS)
		p99 = append(p99, ms(s.res.P99))
		if s.res.CPUPerRequest > 0 {
			cpu = append(cpu, float64(s.res.CPUPerRequest)/float64(time.Microsecond))
		}
		if b, ok := raw[s.round]; ok && b.RPS > 0 && b.P99 > 0 {
			ratio = append(ratio, s.res.RPS/b.RPS)
			p99r = append(p99r, float64(s.res.P99)/float64(b.P99))
			if s.res.CPUPerRequest > 0 && b.CPUPerRequest > 0 {
				cpur = append(cpur, float64(b.CPUPerRequest)/float64(s.res.CPUPerRequest))
			}
		}
	}
	f.ok = len(rps) > 0
	f.rps, f.ratio, f.p99, f.p99Ratio = median(rps), median(ratio), median(p99), median(p99r)
	f.cpu, f.cpuRatio = median(cpu), median(cpur)
	return f
}

// find returns the figures of variant under proto: "h1", "h2", or
// "h1load" and "h2load" for the same-load passes.
func (r *report) find(proto, variant string) figures {
	for _, j := range r.jobs {
		if j.proto == strings.TrimSuffix(proto, "load") && j.variant == variant {
			j.proto = proto
			return r.figuresOf(j)
		}
	}
	return figures{}
}

// chart draws the × raw ratios with the report module.
func (r *report) chart(ctx context.Context, tmp string) error {
	type bar struct {
		Label string  `json:"label"`
		Ratio float64 `json:"ratio"`
	}
	type group struct {
		Name string `json:"name"`
		Bars []bar  `json:"bars"`
	}
	in := struct {
		Title  string  `json:"title"`
		Groups []group `json:"groups"`
	}{Title: "Throughput × raw net/http (median of rounds, server on one CPU)"}
	for _, proto := range []string{"h1", "h2"} {
		g := group{Name: map[string]string{"h1": "HTTP/1.1, 64 connections", "h2": "HTTP/2 over TLS, 16×10 streams"}[proto]}
		for _, j := range r.jobs {
			if j.proto != proto {
				continue
			}
			if f := r.figuresOf(j); f.ok {
				g.Bars = append(g.Bars, bar{j.label, f.ratio})
			}
		}
		in.Groups = append(in.Groups, g)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	file := filepath.Join(tmp, "ratios.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return err
	}
	return goCmd(ctx, filepath.Join(r.cfg.Root, "benchmarks", "report"), nil, "run", ".", "-in", file, "-out", r.cfg.Chart)
}

func (r *report) markdown() []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	rel := func(path string) string {
		if x, err := filepath.Rel(filepath.Dir(r.cfg.Report), path); err == nil {
			return filepath.ToSlash(x)
		}
		return path
	}
	p("# Benchmarks\n\n")
	p("Written by `%s` on %s; rerun it rather than editing the figures.\n\n", r.cfg.Command, r.when.Format("2006-01-02 15:04 MST"))
	p("## Machine and method\n\n")
	p("- %s, %d CPUs; %s.\n", r.cpu, runtime.NumCPU(), r.goVersion)
	if r.pinned {
		p("- Each server variant runs in its own process pinned to CPU 0 (`taskset -c 0`, GOMAXPROCS=%s); the load generator (benchmarks/loadgen) runs in another, pinned to CPU 1.\n", r.gomaxprocs)
	} else {
		p("- taskset was missing or refused: servers (GOMAXPROCS=%s) and the load generator ran **unpinned**, sharing the CPUs, so the generator's work is inside these figures.\n", r.gomaxprocs)
	}
	p("- Handler: `GET /hello` answering 13 bytes. HTTP/1.1: 64 keep-alive connections, one request in flight on each (closed loop). HTTP/2 over TLS (ECDSA P-256): 16 connections × 10 streams.\n")
	p("- %d round(s); in each, every variant runs %v of warm-up then %v measured, in an order rotated from round to round. Figures are medians over the rounds; × raw is the median of each round's ratio to raw net/http in the same round. p99 is of closed-loop latency at each variant's own saturation throughput. Server CPU/req is the server process's user+system CPU time over every request it served (warm-up included); \"× raw by CPU\" is raw's CPU per request over the variant's, the throughput ratio while the server's CPU is the bottleneck, moved less by other load on the machine.\n", r.cfg.Rounds, r.cfg.Warmup, r.cfg.Duration)
	p("- Allocations are from the Go benchmarks (`go test -bench . -benchmem`, -benchtime %s): benchmarks/chainbench, benchmarks/retrybench and benchmarks/peers.\n", r.cfg.BenchTime)
	p("- \"production\" is `httpx.NewServer(DefaultServerConfig(), mux, WithLogger(zap JSON encoder to a discarding sink), WithTracerProvider(OTel SDK, ParentBased(TraceIDRatioBased(0.01)), batch processor to a discarding exporter), WithMeterProvider(metric/noop))`; \"peers\" is chi `RequestID` → `Recoverer` → otelhttp (same tracer, no-op meter) → a zap access-log middleware with the same encoder and sink (benchmarks/peers/cmd/peerserver).\n\n")

	for _, proto := range []string{"h1", "h2"} {
		p("## %s\n\n", map[string]string{"h1": "HTTP/1.1, keep-alive, 64 connections", "h2": "HTTP/2 over TLS, 16 connections × 10 streams"}[proto])
		p("| variant | req/s | × raw | p99 | p99 × raw | server CPU/req | × raw by CPU |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, j := range r.jobs {
			if j.proto != proto {
				continue
			}
			f := r.figuresOf(j)
			if !f.ok {
				p("| %s | failed in %d of %d rounds | | | | | |\n", j.label, f.failures, f.rounds)
				continue
			}
			note := ""
			if f.failures > 0 {
				note = fmt.Sprintf(" (%d of %d rounds failed)", f.failures, f.rounds)
			}
			p("| %s%s | %.0f | %.2f | %.2f ms | %.2f | %.1f µs | %.2f |\n", j.label, note, f.rps, f.ratio, f.p99, f.p99Ratio, f.cpu, f.cpuRatio)
		}
		p("\n")
	}
	for _, proto := range []string{"h1", "h2"} {
		rate := r.rates[proto]
		if rate <= 0 {
			continue
		}
		pn := map[string]string{"h1": "HTTP/1.1", "h2": "HTTP/2 over TLS"}[proto]
		conns := map[string]string{"h1": "64 connections, each sending when its next request is due", "h2": "16 connections, each opening a stream when its next request is due, with at most 10 in flight"}[proto]
		p("## %s at the same offered load: %.0f req/s\n\n", pn, rate)
		p("A third of raw's median throughput above, offered to each variant on a fixed schedule (%s; latency counted from then), in as many rounds as above, after them; medians.\n\n", conns)
		p("| variant | req/s served | p99 | p99 × raw |\n| --- | ---: | ---: | ---: |\n")
		for _, j := range r.jobs {
			if j.proto != proto || strings.HasPrefix(j.variant, "layer-") {
				continue
			}
			j.proto += "load"
			f := r.figuresOf(j)
			if !f.ok {
				p("| %s | failed | | |\n", j.label)
				continue
			}
			p("| %s | %.0f | %.2f ms | %.2f |\n", j.label, f.rps, f.p99, f.p99Ratio)
		}
		p("\n")
	}
	p("![Throughput × raw](%s)\n\n", rel(r.cfg.Chart))

	if len(r.profiles) > 0 {
		p("## Where the server's CPU goes\n\n")
		p("One more run of each of these variants, after the rounds, with the server writing a CPU profile of the whole run (warm-up included). The lines are `go tool pprof -top -cum` of that profile, kept to harden's code, the libraries its production setup calls, and the runtime, network and system work a request is made of (`-show '%s'`); cum%% is the share of the server's CPU spent in a function and what it called. Multiply a cum%% by the run's CPU per request to get microseconds per request; compare a line with the same line of raw net/http to see what harden adds.\n\n", profileShow)
		for _, proto := range []string{"h1", "h2"} {
			for _, v := range profiled {
				pf, ok := r.profiles[proto+"/"+v]
				if !ok {
					continue
				}
				label := v
				for _, j := range r.jobs {
					if j.proto == proto && j.variant == v {
						label = j.label
					}
				}
				pn := map[string]string{"h1": "HTTP/1.1", "h2": "HTTP/2"}[proto]
				p("<details><summary>%s, %s: %.1f µs of CPU per request in this run</summary>\n\n```\n%s```\n\n</details>\n\n", pn, label, float64(pf.cpu)/float64(time.Microsecond), pf.top)
			}
		}
	}

	p("## Allocations per request, in memory (benchmarks/chainbench BenchmarkMiddleware)\n\n")
	p("Each middleware alone, then the whole Default chain, around a handler writing \"hello\" to a ResponseWriter that keeps nothing. \"over raw\" is what the middleware adds.\n\n")
	p("| variant | ns/op | B/op | allocs/op | allocs over raw |\n| --- | ---: | ---: | ---: | ---: |\n")
	raw := r.bench["BenchmarkMiddleware/raw"]
	for _, name := range r.names("BenchmarkMiddleware/") {
		l := r.bench["BenchmarkMiddleware/"+name]
		p("| %s | %.0f | %.0f | %.0f | %+.0f |\n", name, l.ns, l.bytes, l.allocs, l.allocs-raw.allocs)
	}
	p("\nThe same in the peers module (BenchmarkChain), beside chi's middleware with otelhttp:\n\n")
	p("| variant | ns/op | B/op | allocs/op |\n| --- | ---: | ---: | ---: |\n")
	for _, name := range r.names("BenchmarkChain/") {
		l := r.bench["BenchmarkChain/"+name]
		p("| %s | %.0f | %.0f | %.0f |\n", name, l.ns, l.bytes, l.allocs)
	}

	p("\n## Client, success path\n\n")
	p("A GET answered 200, through `Client.Do` (benchmarks/retrybench BenchmarkClient*) and, for the retry layers alone, through `RoundTrip` (benchmarks/peers BenchmarkRetrySuccess*). In memory: the base RoundTripper answers at once; loopback: a keep-alive HTTP/1.1 connection to a local server.\n\n")
	p("| variant | in memory ns/op | allocs/op | loopback ns/op | allocs/op |\n| --- | ---: | ---: | ---: | ---: |\n")
	row := func(label, mem, loop string) {
		m, l := r.bench[mem], r.bench[loop]
		p("| %s | %.0f | %.0f | %.0f | %.0f |\n", label, m.ns, m.allocs, l.ns, l.allocs)
	}
	row("net/http client, bare transport", "BenchmarkClientInMemory/net/http_client", "BenchmarkClientLoopback/net/http_client")
	row("net/http client, same Timeout as httpx's", "BenchmarkClientInMemory/net/http_client_with_Timeout", "BenchmarkClientLoopback/net/http_client_with_Timeout")
	row("httpx.NewClient (defaults)", "BenchmarkClientInMemory/httpx.NewClient", "BenchmarkClientLoopback/httpx.NewClient")
	for _, v := range []string{"raw", "harden", "go-retryablehttp", "failsafe-go"} {
		label := map[string]string{"raw": "RoundTrip, bare transport", "harden": "RoundTrip, harden retry.Transport"}[v]
		if label == "" {
			label = "RoundTrip, " + v
		}
		row(label, "BenchmarkRetrySuccessInMemory/"+v, "BenchmarkRetrySuccessLoopback/"+v)
	}

	p("\n## Goals\n\n")
	p("| goal | measured | met |\n| --- | --- | --- |\n")
	goal := func(name string, met bool, measured string, a ...any) {
		p("| %s | %s | %s |\n", name, fmt.Sprintf(measured, a...), map[bool]string{true: "yes", false: "**no**"}[met])
	}
	for _, proto := range []string{"h1", "h2"} {
		pn := map[string]string{"h1": "HTTP/1.1", "h2": "HTTP/2"}[proto]
		d, prod, peers := r.find(proto, "defaults"), r.find(proto, "production"), r.find(proto, "peers")
		goal(pn+": defaults ≥ 0.85× raw", d.ok && d.ratio >= 0.85, "%.2f× (by CPU %.2f×)", d.ratio, d.cpuRatio)
		goal(pn+": production ≥ 0.5× raw", prod.ok && prod.ratio >= 0.5, "%.2f× (by CPU %.2f×)", prod.ratio, prod.cpuRatio)
		rel, relCPU := 0.0, 0.0
		if peers.ratio > 0 && peers.cpuRatio > 0 {
			rel, relCPU = prod.ratio/peers.ratio, prod.cpuRatio/peers.cpuRatio
		}
		goal(pn+": production ≥ 1.25× peers", prod.ok && peers.ok && rel >= 1.25, "%.2f× (by CPU %.2f×)", rel, relCPU)
		how := "closed loop: each at its own saturation, not the same offered load"
		if rate := r.rates[proto]; rate > 0 {
			d, prod = r.find(proto+"load", "defaults"), r.find(proto+"load", "production")
			how = fmt.Sprintf("at the same offered load, %.0f req/s", rate)
		}
		goal(pn+": defaults p99 ≤ 1.5× raw's", d.ok && d.p99Ratio <= 1.5, "%.2f× (%s)", d.p99Ratio, how)
		goal(pn+": production p99 ≤ 1.5× raw's", prod.ok && prod.p99Ratio <= 1.5, "%.2f× (%s)", prod.p99Ratio, how)
	}
	def := r.bench["BenchmarkMiddleware/Default/nolog"].allocs - raw.allocs
	goal("Default chain, no logger, no-op telemetry: ≤ +10 allocations over raw", def <= 10, "%+.0f", def)
	cm, hm, tm := r.bench["BenchmarkClientLoopback/net/http_client"], r.bench["BenchmarkClientLoopback/httpx.NewClient"], r.bench["BenchmarkClientLoopback/net/http_client_with_Timeout"]
	slow, slowT := 0.0, 0.0
	if cm.ns > 0 && tm.ns > 0 {
		slow, slowT = hm.ns/cm.ns-1, hm.ns/tm.ns-1
	}
	goal("httpx.NewClient within 5% of a bare transport (loopback)", slow <= 0.05, "%+.1f%% (%+.1f%% over a bare client with the same Timeout)", slow*100, slowT*100)
	cmm, hmm, tmm := r.bench["BenchmarkClientInMemory/net/http_client"], r.bench["BenchmarkClientInMemory/httpx.NewClient"], r.bench["BenchmarkClientInMemory/net/http_client_with_Timeout"]
	extra := hmm.allocs - cmm.allocs
	goal("httpx.NewClient ≤ +3 allocations (in memory)", extra <= 3, "%+.0f (%+.0f over a bare client with the same Timeout)", extra, hmm.allocs-tmm.allocs)
	hr := r.bench["BenchmarkRetrySuccessInMemory/harden"].allocs
	rh, fs := r.bench["BenchmarkRetrySuccessInMemory/go-retryablehttp"].allocs, r.bench["BenchmarkRetrySuccessInMemory/failsafe-go"].allocs
	goal("retry.Transport fewer allocations than go-retryablehttp and failsafe-go", hr < rh && hr < fs, "%.0f vs %.0f and %.0f", hr, rh, fs)
	return b.Bytes()
}

// names are the sub-benchmarks under prefix, in the order they ran.
func (r *report) names(prefix string) []string {
	var out []string
	for _, n := range r.benchOrder {
		if rest, ok := strings.CutPrefix(n, prefix); ok {
			out = append(out, rest)
		}
	}
	return out
}
