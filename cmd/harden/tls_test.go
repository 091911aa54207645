package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/harden-go/harden/benchmarks/scenarios"
)

// tlsReport runs one TLS scenario with --json against b and decodes the
// report strictly.
func tlsReport(t *testing.T, b bench, scenario string) (int, report) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"scorecard", "--scenario", scenario, "--json"}, &out, &errOut, b)
	var rep report
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not a report: %v\nstderr: %s", err, errOut.String())
	}
	if len(rep.Tables) != 1 || rep.Tables[0].Kind != scenarios.TLS || rep.Tables[0].Subject != b.lineups[scenarios.TLS].subject ||
		len(rep.Tables[0].Scenarios) != 1 || rep.Tables[0].Scenarios[0].Name != scenario {
		t.Fatalf("report = %+v, want one TLS table with one %s result", rep, scenario)
	}
	if o := rep.Tables[0].Scenarios[0].Outcomes; len(o) != 2 || o[0].Target != "crypto/tls load once" || o[1].Target != "harden" {
		t.Fatalf("outcomes = %+v, want the load-once baseline then harden", o)
	}
	return code, rep
}

// tlsOutcomes are the baseline's and harden's outcomes of rep's one TLS
// scenario.
func tlsOutcomes(rep report) (base, h targetOutcome) {
	o := rep.Tables[0].Scenarios[0].Outcomes
	return o[0], o[1]
}

// harden takes up a rotated certificate without a restart and without a
// failed handshake; the load-once baseline serves the old one until it
// is restarted.
func TestTLSRotationRow(t *testing.T) {
	code, rep := tlsReport(t, testBench("header limits"), "tls-rotation")
	if code != exitOK || !rep.Defended {
		t.Errorf("exit status %d, defended %v; want %d and defended", code, rep.Defended, exitOK)
	}
	base, h := tlsOutcomes(rep)
	if !h.Defended || h.Err != "" || h.Handshakes == 0 || h.Failed != 0 || h.Restarted || !h.NewCertServedWithoutRestart || !h.NewCertServedAtEnd {
		t.Errorf("harden: %+v; want handshakes, none failed, the new certificate served without a restart", h.Outcome)
	}
	if base.Defended || base.Err != "" || base.Handshakes == 0 || !base.Restarted || base.NewCertServedWithoutRestart || !base.NewCertServedAtEnd {
		t.Errorf("load once: %+v; want the new certificate refused until a restart, then served", base.Outcome)
	}
	if !strings.Contains(h.Summary, " 0 failed; new cert served without restart") || !strings.Contains(base.Summary, "new cert refused until a restart") {
		t.Errorf("summaries %q vs %q", base.Summary, h.Summary)
	}
}

// harden names every misconfiguration by its kind with a fix; the
// baseline shows crypto/tls's raw errors.
func TestTLSDiagnosisRow(t *testing.T) {
	code, rep := tlsReport(t, testBench("header limits"), "tls-diagnosis")
	if code != exitOK || !rep.Defended {
		t.Errorf("exit status %d, defended %v; want %d and defended", code, rep.Defended, exitOK)
	}
	base, h := tlsOutcomes(rep)
	want := []string{"expired", "not-yet-valid", "wrong-usage", "unknown-ca", "regenerated-ca", "hostname-mismatch", "missing-client-certificate", "not-tls"}
	if len(h.Diagnoses) != len(want) || len(base.Diagnoses) != len(want) {
		t.Fatalf("diagnoses: %d for harden, %d for the baseline; want %d each", len(h.Diagnoses), len(base.Diagnoses), len(want))
	}
	for i, v := range want {
		hd, bd := h.Diagnoses[i], base.Diagnoses[i]
		if hd.Variant != v || !hd.Explained || hd.Kind != hd.Want || !strings.Contains(hd.Message, ";") {
			t.Errorf("harden, %s: %+v; want the kind named and a fix after the cause", v, hd)
		}
		if bd.Variant != v || bd.Explained || bd.Kind != "" || bd.Message == "" || bd.Message == hd.Message {
			t.Errorf("load once, %s: %+v; want the raw error", v, bd)
		}
	}
	if !h.Defended || h.Summary != "8/8 explained with a fix" || base.Defended || base.Summary != "0/8 explained: raw errors" {
		t.Errorf("summaries %q (%v) vs %q (%v)", base.Summary, base.Defended, h.Summary, h.Defended)
	}
}

// A TLS row that the subject fails makes the run fail, and the table
// shows the TLS rows under their own header.
func TestTLSRowExitStatusAndTable(t *testing.T) {
	b := testBench("header limits")
	mute := hardenTLSTarget()
	mute.Explain = func(err error, _ []*x509.Certificate) (string, string) { return "", err.Error() }
	b.lineups[scenarios.TLS].targets[1] = mute
	code, rep := tlsReport(t, b, "tls-diagnosis")
	if code != exitFailed || rep.Defended {
		t.Errorf("exit status %d, defended %v; want %d and not defended when harden's messages are raw", code, rep.Defended, exitFailed)
	}

	var out, errOut bytes.Buffer
	code = run(context.Background(), []string{"scorecard", "--scenario", "tls-diagnosis"}, &out, &errOut, testBench("header limits"))
	if code != exitOK {
		t.Errorf("exit status = %d, want %d\nstderr: %s", code, exitOK, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("table has %d lines, want a header and one row:\n%s", len(lines), out.String())
	}
	if !regexp.MustCompile(`^TLS SCENARIO +CRYPTO/TLS LOAD ONCE +HARDEN +MEASURED \(crypto/tls load once vs harden\)$`).MatchString(lines[0]) {
		t.Errorf("header = %q", lines[0])
	}
	if !regexp.MustCompile(`^tls-diagnosis +EXPOSED +defended +0/8 explained: raw errors  vs  8/8 explained with a fix$`).MatchString(lines[1]) {
		t.Errorf("row = %q", lines[1])
	}
}

// The real bench compares the load-once baseline with harden.
func TestDefaultBenchTLS(t *testing.T) {
	b, err := defaultBench()
	if err != nil {
		t.Fatal(err)
	}
	l := b.lineups[scenarios.TLS]
	if got := l.names(); len(got) != 2 || got[0] != scenarios.LoadOnce().Name || got[1] != l.subject || l.subject != "harden" {
		t.Errorf("TLS targets %v, subject %q; want the load-once baseline and harden", got, l.subject)
	}
	for _, k := range scenarios.Kinds() {
		if len(b.lineups[k].targets) == 0 {
			t.Errorf("the bench has no targets for the %s scenarios", k)
		}
	}
}

// Each kind gets a table of its own, with its title and its targets as
// columns, a blank line between two; a table without rows is left out.
func TestOneTablePerKind(t *testing.T) {
	rep := report{Tables: []table{
		{Kind: scenarios.Server, Targets: []string{"a", "b"}, Scenarios: []scenarioResult{{
			Scenario: scenarios.Scenario{Name: "s1"},
			Outcomes: []targetOutcome{{Target: "a", Outcome: scenarios.Outcome{Summary: "x"}}, {Target: "b", Outcome: scenarios.Outcome{Defended: true, Summary: "y"}}},
		}}},
		{Kind: "empty", Targets: []string{"c"}, Scenarios: []scenarioResult{}},
		{Kind: scenarios.TLS, Targets: []string{"c", "d"}, Scenarios: []scenarioResult{{
			Scenario: scenarios.Scenario{Name: "t1"},
			Outcomes: []targetOutcome{{Target: "c", Outcome: scenarios.Outcome{Err: "boom"}}, {Target: "d", Outcome: scenarios.Outcome{Defended: true, Summary: "z"}}},
		}}},
	}}
	var out bytes.Buffer
	if err := writeTables(&out, rep); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`^SCENARIO +A +B +MEASURED \(a vs b\)$`,
		`^s1 +EXPOSED +defended +x  vs  y$`,
		`^$`,
		`^TLS SCENARIO +C +D +MEASURED \(c vs d\)$`,
		`^t1 +error +defended +boom  vs  z$`,
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i, lines[i], w)
		}
	}
}

// A bench without targets for a kind fails the run instead of passing
// it with no verdicts.
func TestKindWithoutTargetsFails(t *testing.T) {
	b := testBench("header limits")
	delete(b.lineups, scenarios.TLS)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"scorecard", "--scenario", "tls-diagnosis"}, &out, &errOut, b)
	if code != exitFailed || !strings.Contains(errOut.String(), "no targets for the tls scenarios") {
		t.Errorf("exit status %d, stderr %q; want %d and the kind named", code, errOut.String(), exitFailed)
	}
}
