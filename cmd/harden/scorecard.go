package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/harden-go/harden/benchmarks/scenarios"
)

const helpHintScorecard = `Run "harden scorecard --help" for usage.`

// scorecardHelp is the help of the scorecard command, with the settings
// and scenarios of b.
func scorecardHelp(b bench) string {
	var sb strings.Builder
	sb.WriteString("Usage:\n  harden scorecard [--json] [--scenario NAME]\n\n")
	wrap(&sb, fmt.Sprintf("Scorecard starts, in this process and on 127.0.0.1 only, one server per target (%s) and attacks them with the scenarios below. Each scenario hits every target at once; the scenarios run one after another and every attack stops by itself. Scenarios that only wait on a server's timers run in the background beside the others, so a full run takes about a minute, most of it waiting out harden's default timers as a production server would.",
		strings.Join(targetNames(b), ", ")), "", 76)
	sb.WriteString(`
Flags:
  --json            print the outcomes as JSON instead of a table
  --scenario NAME   run only the scenario called NAME

Examples:
  harden scorecard
  harden scorecard --scenario slow-headers --json

Reading the table:
  SCENARIO     the attack, as listed below.
  one column per target
               "defended" when the target did what the scenario expects of
               harden, "EXPOSED" when it did not, "error" when the scenario
               could not run against it.
  MEASURED     what each target did, in the order of the columns, joined by
               "vs": when connections were closed, the status answered,
               the bytes the server read, requests lost.
  TLS SCENARIO a second table, for the TLS scenarios, read the same way;
               --json puts them under "tls", with each diagnosis message.

Progress goes to stderr; the table or the JSON to stdout.

`)
	wrap(&sb, fmt.Sprintf("Exit status: 0 when %s defended every scenario that ran, 1 when it did not or the run was interrupted, 2 on a usage error.", b.subject), "", 76)
	sb.WriteString("\n")
	wrap(&sb, fmt.Sprintf("Settings of the %s target: %s.", b.subject, b.settings), "", 76)
	sb.WriteString("\nScenarios:\n")
	for _, s := range scenarios.All() {
		fmt.Fprintf(&sb, "  %s\n", s.Name)
		wrap(&sb, s.Description, "      ", 76)
		wrap(&sb, "expects: "+s.Expect, "      ", 76)
	}
	sb.WriteString("\nTLS scenarios (a second table, after the HTTP one):\n")
	wrap(&sb, fmt.Sprintf("They compare ways of running a TLS server: %s.", strings.Join(tlsTargetNames(b), ", ")), "  ", 76)
	for _, s := range scenarios.AllTLS() {
		fmt.Fprintf(&sb, "  %s\n", s.Name)
		wrap(&sb, s.Description, "      ", 76)
		wrap(&sb, "expects: "+s.Expect, "      ", 76)
	}
	return sb.String()
}

// scorecard runs the scorecard command and returns the exit status.
func scorecard(ctx context.Context, args []string, stdout, stderr io.Writer, b bench) int {
	fs := flag.NewFlagSet("scorecard", flag.ContinueOnError)
	fs.SetOutput(stderr) // for the flag package's own error messages
	fs.Usage = func() {}
	asJSON := fs.Bool("json", false, "print the outcomes as JSON")
	only := fs.String("scenario", "", "run only the scenario called `NAME`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, scorecardHelp(b))
			return exitOK
		}
		fmt.Fprintln(stderr, helpHintScorecard)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "harden scorecard: unexpected argument %q\n%s\n", fs.Arg(0), helpHintScorecard)
		return exitUsage
	}
	list, tlsList := scenarios.All(), scenarios.AllTLS()
	if *only != "" {
		s, ok := scenarios.Find(*only)
		ts, tlsOK := scenarios.FindTLS(*only)
		switch {
		case ok:
			list, tlsList = []scenarios.Scenario{s}, nil
		case tlsOK:
			list, tlsList = nil, []scenarios.TLSScenario{ts}
		default:
			fmt.Fprintf(stderr, "harden scorecard: no scenario %q; the scenarios are: %s\n", *only, strings.Join(scenarioNames(), ", "))
			return exitUsage
		}
	}

	fmt.Fprintf(stderr, "settings of %s: %s\n", b.subject, b.settings)
	// The zero-value server reports every connection error an attack
	// provokes through the standard logger; the table reports them
	// instead, so they would only bury the progress lines.
	defer log.SetOutput(log.Writer())
	log.SetOutput(io.Discard)
	rep := attackAll(ctx, list, tlsList, b, stderr)
	var err error
	if *asJSON {
		err = writeJSON(stdout, rep)
	} else {
		err = writeTable(stdout, rep, b)
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "harden scorecard: %v\n", err)
		return exitFailed
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "harden scorecard: interrupted after %d of %d scenarios\n", len(rep.Scenarios)+len(rep.TLS), len(list)+len(tlsList))
		return exitFailed
	case !rep.Defended:
		return exitFailed
	}
	return exitOK
}

// report is the result of a scorecard run, as printed by --json.
type report struct {
	// Subject is the target that must be defended; Defended reports
	// whether it was, in every scenario that ran.
	Subject   string           `json:"subject"`
	Defended  bool             `json:"defended"`
	Settings  string           `json:"settings"`
	Bounds    scenarios.Bounds `json:"bounds"`
	Scenarios []scenarioResult `json:"scenarios"`
	// TLSSubject is the TLS target that must be defended in the TLS
	// scenarios, whose results TLS holds.
	TLSSubject string              `json:"tls_subject,omitempty"`
	TLS        []tlsScenarioResult `json:"tls,omitempty"`
}

type tlsScenarioResult struct {
	scenarios.TLSScenario
	Outcomes []tlsTargetOutcome `json:"outcomes"`
}

type tlsTargetOutcome struct {
	Target string `json:"target"`
	scenarios.TLSOutcome
}

type scenarioResult struct {
	scenarios.Scenario
	Outcomes []targetOutcome `json:"outcomes"`
}

type targetOutcome struct {
	Target string `json:"target"`
	scenarios.Outcome
}

// attackAll runs each scenario of list against every target of b, then
// each of tlsList against every TLS target of b, reporting progress on
// progress, and returns the outcomes in the order of the lists. Scenarios that mostly wait on a target's timers (Scenario.Waits)
// run in the background alongside the others, which run one after
// another, so the waits overlap instead of adding up. It stops early when
// ctx ends.
func attackAll(ctx context.Context, list []scenarios.Scenario, tlsList []scenarios.TLSScenario, b bench, progress io.Writer) report {
	rep := report{Subject: b.subject, Defended: true, Settings: b.settings, Bounds: b.bounds}
	results := make([]*scenarioResult, len(list))
	total := len(list) + len(tlsList)
	var mu sync.Mutex // orders progress lines
	started := 0
	begin := func(name, note string) int {
		mu.Lock()
		defer mu.Unlock()
		started++
		fmt.Fprintf(progress, "[%d/%d] %s ...%s\n", started, total, name, note)
		return started
	}
	start := func(s scenarios.Scenario, note string) int { return begin(s.Name, note) }
	runOne := func(i, n int) {
		s := list[i]
		began := time.Now()
		outcomes := s.Against(ctx, b.bounds, b.targets...)
		res := &scenarioResult{Scenario: s}
		for j, o := range outcomes {
			res.Outcomes = append(res.Outcomes, targetOutcome{Target: b.targets[j].Name, Outcome: o})
		}
		mu.Lock()
		defer mu.Unlock()
		results[i] = res
		fmt.Fprintf(progress, "[%d/%d] %s done in %.1fs\n", n, total, s.Name, time.Since(began).Seconds())
	}
	var waiting sync.WaitGroup
	for i, s := range list {
		if s.Waits && ctx.Err() == nil {
			n := start(s, " (waits on the servers' timers; runs in the background)")
			waiting.Go(func() { runOne(i, n) })
		}
	}
	for i, s := range list {
		if s.Waits || ctx.Err() != nil {
			continue
		}
		runOne(i, start(s, ""))
	}
	waiting.Wait()
	for _, res := range results {
		if res == nil {
			continue
		}
		for _, o := range res.Outcomes {
			if o.Target == b.subject && !o.Defended {
				rep.Defended = false
			}
		}
		rep.Scenarios = append(rep.Scenarios, *res)
	}
	// The TLS scenarios run last, one at a time: they are short, and
	// their handshake counts would suffer beside the floods.
	if len(tlsList) > 0 {
		rep.TLSSubject = b.tlsSubject
	}
	for _, s := range tlsList {
		if ctx.Err() != nil {
			break
		}
		n := begin(s.Name, "")
		began := time.Now()
		res := tlsScenarioResult{TLSScenario: s}
		for j, o := range s.Against(ctx, b.tlsTargets...) {
			res.Outcomes = append(res.Outcomes, tlsTargetOutcome{Target: b.tlsTargets[j].Name, TLSOutcome: o})
			if b.tlsTargets[j].Name == b.tlsSubject && !o.Defended {
				rep.Defended = false
			}
		}
		fmt.Fprintf(progress, "[%d/%d] %s done in %.1fs\n", n, total, s.Name, time.Since(began).Seconds())
		rep.TLS = append(rep.TLS, res)
	}
	return rep
}

func writeJSON(w io.Writer, rep report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeTable prints one row per scenario: its name, each target's
// verdict, and the figures measured for each target.
func writeTable(w io.Writer, rep report, b bench) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	names := targetNames(b)
	header := []string{"SCENARIO"}
	for _, n := range names {
		header = append(header, strings.ToUpper(n))
	}
	header = append(header, "MEASURED ("+strings.Join(names, " vs ")+")")
	if len(rep.Scenarios) > 0 || len(rep.TLS) == 0 {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	for _, s := range rep.Scenarios {
		row := []string{s.Name}
		var figures []string
		for _, o := range s.Outcomes {
			row = append(row, verdict(o.Outcome))
			figures = append(figures, figure(o.Outcome))
		}
		row = append(row, strings.Join(figures, "  vs  "))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil || len(rep.TLS) == 0 {
		return err
	}
	// The TLS scenarios compare other targets, so they get a table of
	// their own.
	if len(rep.Scenarios) > 0 {
		fmt.Fprintln(w)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	names = tlsTargetNames(b)
	header = []string{"TLS SCENARIO"}
	for _, n := range names {
		header = append(header, strings.ToUpper(n))
	}
	header = append(header, "MEASURED ("+strings.Join(names, " vs ")+")")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, s := range rep.TLS {
		row := []string{s.Name}
		var figures []string
		for _, o := range s.Outcomes {
			row = append(row, tlsVerdict(o.TLSOutcome))
			figures = append(figures, tlsFigure(o.TLSOutcome))
		}
		row = append(row, strings.Join(figures, "  vs  "))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func tlsVerdict(o scenarios.TLSOutcome) string {
	return verdict(scenarios.Outcome{Defended: o.Defended, Err: o.Err})
}

func tlsFigure(o scenarios.TLSOutcome) string {
	return figure(scenarios.Outcome{Summary: o.Summary, Err: o.Err})
}

func tlsTargetNames(b bench) []string {
	names := make([]string, len(b.tlsTargets))
	for i, t := range b.tlsTargets {
		names[i] = t.Name
	}
	return names
}

func verdict(o scenarios.Outcome) string {
	switch {
	case o.Err != "":
		return "error"
	case o.Defended:
		return "defended"
	}
	return "EXPOSED"
}

func figure(o scenarios.Outcome) string {
	if o.Err != "" {
		return o.Err
	}
	return o.Summary
}

func targetNames(b bench) []string {
	names := make([]string, len(b.targets))
	for i, t := range b.targets {
		names[i] = t.Name
	}
	return names
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios.All() {
		names = append(names, s.Name)
	}
	for _, s := range scenarios.AllTLS() {
		names = append(names, s.Name)
	}
	return names
}

// wrap writes text to sb in lines of at most width columns, each starting
// with indent.
func wrap(sb *strings.Builder, text, indent string, width int) {
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			sb.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	sb.WriteString(line + "\n")
}
