package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"slices"
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
	wrap(&sb, "Scorecard starts, in this process and on 127.0.0.1 only, one instance of each target and runs the scenarios below against them, one table per kind of scenario. Each scenario hits every target of its table at once; the scenarios run one after another and every attack stops by itself. Scenarios that only wait on a server's timers run in the background beside the others of their table, so a full run takes about a minute, most of it waiting out harden's default timers as a production server would. Wherever a legitimate client is measured, it calls the attacked server and, at the same moments, an unattacked twin of it in the same process, so that the load of the machine and of the other rows cancels out of the ratio of the two.", "", 76)
	sb.WriteString(`
Flags:
  --json            print the outcomes as JSON instead of tables
  --scenario NAME   run only the scenario called NAME

Examples:
  harden scorecard
  harden scorecard --scenario slow-headers --json

Reading the tables:
  SCENARIO     the attack or fault, as listed below; the title names the
               table's kind ("TLS SCENARIO").
  one column per target
               "defended" when the target did what the scenario expects of
               harden, "EXPOSED" when it did not, "error" when the scenario
               could not run against it.
  MEASURED     what each target did, in the order of the columns, joined by
               "vs": when connections were closed, the status answered,
               the bytes the server read, requests lost, and the
               legitimate client's p99 during the attack as a multiple of
               its p99 against the unattacked twin at the same moments
               (the unattacked rows compare two twins: the noise).
  --json gives the same tables under "tables", with every figure.

Progress goes to stderr; the tables or the JSON to stdout.

`)
	wrap(&sb, fmt.Sprintf("Exit status: 0 when %s defended every scenario that ran, 1 when it did not or the run was interrupted, 2 on a usage error.", strings.Join(subjects(b), " and ")), "", 76)
	sb.WriteString("\n")
	wrap(&sb, fmt.Sprintf("Settings of harden: %s.", b.settings), "", 76)
	for _, k := range scenarios.Kinds() {
		sb.WriteString("\n")
		wrap(&sb, fmt.Sprintf("%s: %s (%s)", k.Title(), k.Compares(), strings.Join(b.lineups[k].names(), ", ")), "", 76)
		for _, s := range scenarios.Of(k) {
			fmt.Fprintf(&sb, "  %s\n", s.Name)
			wrap(&sb, s.Description, "      ", 76)
			wrap(&sb, "expects: "+s.Expect, "      ", 76)
		}
	}
	return sb.String()
}

// subjects returns the distinct subjects of b's tables, in table order.
func subjects(b bench) []string {
	var names []string
	for _, k := range scenarios.Kinds() {
		if l, ok := b.lineups[k]; ok && !slices.Contains(names, l.subject) {
			names = append(names, l.subject)
		}
	}
	return names
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
	list := scenarios.All()
	if *only != "" {
		s, ok := scenarios.Find(*only)
		if !ok {
			fmt.Fprintf(stderr, "harden scorecard: no scenario %q; the scenarios are: %s\n", *only, strings.Join(scenarioNames(), ", "))
			return exitUsage
		}
		list = []scenarios.Scenario{s}
	}
	for _, s := range list {
		if len(b.lineups[s.Kind].targets) == 0 {
			fmt.Fprintf(stderr, "harden scorecard: no targets for the %s scenarios\n", s.Kind)
			return exitFailed
		}
	}

	fmt.Fprintf(stderr, "settings of harden: %s\n", b.settings)
	// The zero-value server reports every connection error an attack
	// provokes through the standard logger; the table reports them
	// instead, so they would only bury the progress lines.
	defer log.SetOutput(log.Writer())
	log.SetOutput(io.Discard)
	rep := attackAll(ctx, list, b, stderr)
	var err error
	if *asJSON {
		err = writeJSON(stdout, rep)
	} else {
		err = writeTables(stdout, rep)
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "harden scorecard: %v\n", err)
		return exitFailed
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "harden scorecard: interrupted after %d of %d scenarios\n", rep.ran(), len(list))
		return exitFailed
	case !rep.Defended:
		return exitFailed
	}
	return exitOK
}

// report is the result of a scorecard run, as printed by --json: one
// table per kind of scenario that ran, in the order of scenarios.Kinds.
type report struct {
	// Defended reports whether the subject of every table was defended
	// in every scenario that ran.
	Defended bool             `json:"defended"`
	Settings string           `json:"settings"`
	Bounds   scenarios.Bounds `json:"bounds"`
	Tables   []table          `json:"tables"`
}

// table is the result of the scenarios of one kind.
type table struct {
	Kind scenarios.Kind `json:"kind"`
	// Targets are the names of the targets compared, in column order;
	// Subject is the one that must be defended.
	Targets   []string         `json:"targets"`
	Subject   string           `json:"subject"`
	Scenarios []scenarioResult `json:"scenarios"`
}

type scenarioResult struct {
	scenarios.Scenario
	Outcomes []targetOutcome `json:"outcomes"`
}

type targetOutcome struct {
	Target string `json:"target"`
	scenarios.Outcome
}

// ran counts the scenarios of rep that ran.
func (rep report) ran() int {
	n := 0
	for _, t := range rep.Tables {
		n += len(t.Scenarios)
	}
	return n
}

// attackAll runs each scenario of list against every target of its
// kind's lineup in b, reporting progress on progress, and returns one
// table per kind, in the order of scenarios.Kinds, the results in the
// order of list. Within a kind, the scenarios that mostly wait on a
// target's timers (Scenario.Waits) run in the background alongside the
// others, which run one after another, so the waits overlap instead of
// adding up; a kind's scenarios have all ended before the next kind's
// start, so a short TLS handshake count never runs beside a flood. It
// stops early when ctx ends.
func attackAll(ctx context.Context, list []scenarios.Scenario, b bench, progress io.Writer) report {
	rep := report{Defended: true, Settings: b.settings, Bounds: b.bounds}
	var mu sync.Mutex // orders progress lines
	started := 0
	begin := func(name, note string) int {
		mu.Lock()
		defer mu.Unlock()
		started++
		fmt.Fprintf(progress, "[%d/%d] %s ...%s\n", started, len(list), name, note)
		return started
	}
	for _, k := range scenarios.Kinds() {
		var of []scenarios.Scenario
		for _, s := range list {
			if s.Kind == k {
				of = append(of, s)
			}
		}
		if len(of) == 0 {
			continue
		}
		l := b.lineups[k]
		results := make([]*scenarioResult, len(of))
		runOne := func(i, n int) {
			s := of[i]
			began := time.Now()
			res := &scenarioResult{Scenario: s}
			for j, o := range s.Against(ctx, b.bounds, l.targets...) {
				res.Outcomes = append(res.Outcomes, targetOutcome{Target: l.targets[j].Name, Outcome: o})
			}
			mu.Lock()
			defer mu.Unlock()
			results[i] = res
			fmt.Fprintf(progress, "[%d/%d] %s done in %.1fs\n", n, len(list), s.Name, time.Since(began).Seconds())
		}
		var waiting sync.WaitGroup
		for i, s := range of {
			if s.Waits && ctx.Err() == nil {
				n := begin(s.Name, " (waits on the servers' timers; runs in the background)")
				waiting.Go(func() { runOne(i, n) })
			}
		}
		for i, s := range of {
			if s.Waits || ctx.Err() != nil {
				continue
			}
			runOne(i, begin(s.Name, ""))
		}
		waiting.Wait()
		t := table{Kind: k, Targets: l.names(), Subject: l.subject, Scenarios: []scenarioResult{}}
		for _, res := range results {
			if res == nil {
				continue
			}
			for _, o := range res.Outcomes {
				if o.Target == l.subject && !o.Defended {
					rep.Defended = false
				}
			}
			t.Scenarios = append(t.Scenarios, *res)
		}
		rep.Tables = append(rep.Tables, t)
	}
	return rep
}

func writeJSON(w io.Writer, rep report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeTables prints each table of rep that has a row, a blank line
// between two: a header of the kind's title, one column per target and
// MEASURED; then one row per scenario with its name, each target's
// verdict, and the figures measured for each target.
func writeTables(w io.Writer, rep report) error {
	first := true
	for _, t := range rep.Tables {
		if len(t.Scenarios) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		header := []string{t.Kind.Title()}
		for _, n := range t.Targets {
			header = append(header, strings.ToUpper(n))
		}
		header = append(header, "MEASURED ("+strings.Join(t.Targets, " vs ")+")")
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for _, s := range t.Scenarios {
			row := []string{s.Name}
			var figures []string
			for _, o := range s.Outcomes {
				row = append(row, verdict(o.Outcome))
				figures = append(figures, figure(o))
			}
			row = append(row, strings.Join(figures, "  vs  "))
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
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

func figure(o targetOutcome) string {
	switch {
	case o.Err != "":
		return o.Err
	case o.LegitP99VsUnattacked > 0:
		return fmt.Sprintf("%s; legit p99 %.1f× unattacked twin", o.Summary, o.LegitP99VsUnattacked)
	}
	return o.Summary
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios.All() {
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
