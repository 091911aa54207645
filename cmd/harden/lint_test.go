package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of lint and explain from this run")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestLintGolden(t *testing.T) {
	reference := []string{"../../configs/public-edge.yaml", "../../configs/internal-mtls.yaml", "../../configs/behind-lb.yaml", "../../configs/client.yaml",
		"../../configs/upstreams/aws-alb.yaml", "../../configs/upstreams/traefik-static.yaml", "../../configs/upstreams/traefik-dynamic.yaml",
		"../../configs/upstreams/envoy.yaml", "../../configs/kubernetes/deployment.yaml"}
	wrong := []string{"testdata/lint/wrong/service.yaml", "testdata/lint/wrong/traefik.yml", "testdata/lint/wrong/deployment.yaml"}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"lint/reference.golden", append([]string{"lint"}, reference...), exitOK},
		{"lint/wrong.golden", append([]string{"lint"}, wrong...), exitFailed},
		{"lint/wrong.json.golden", append([]string{"lint", "--json"}, wrong...), exitFailed},
		{"lint/strict.golden", []string{"lint", "testdata/lint/strict/service.yaml"}, exitFailed},
		{"explain/service.golden", []string{"explain", "testdata/explain/service.yaml"}, exitOK},
		{"explain/service.json.golden", []string{"explain", "--json", "testdata/explain/service.yaml"}, exitOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tc.args...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			golden(t, tc.name, stdout)
		})
	}
}

// The JSON output is an array of objects with at least rule, severity,
// file and message, and every rule of the wrong pair is in it.
func TestLintJSON(t *testing.T) {
	_, stdout, _ := runCLI("lint", "--json", "testdata/lint/wrong/service.yaml", "testdata/lint/wrong/traefik.yml", "testdata/lint/wrong/deployment.yaml")
	var findings []map[string]any
	if err := json.Unmarshal([]byte(stdout), &findings); err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, f := range findings {
		for _, k := range []string{"rule", "severity", "file", "message"} {
			if s, _ := f[k].(string); s == "" {
				t.Errorf("finding without %s: %v", k, f)
			}
		}
		rules[f["rule"].(string)] = true
	}
	for _, r := range []string{"idle-above-upstream", "attempt-above-handler", "shutdown-within-grace", "readiness-within-drain", "probe-reaches-admin"} {
		if !rules[r] {
			t.Errorf("rule %s missing from %v", r, rules)
		}
	}
	if _, clean, _ := runCLI("lint", "--json", "../../configs/public-edge.yaml"); strings.TrimSpace(clean) != "[]" {
		t.Errorf("a clean file prints %q, want []", clean)
	}
}

func TestLintAndExplainArguments(t *testing.T) {
	cases := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"lint help", []string{"lint", "--help"}, exitOK, "harden lint service.yaml", ""},
		{"explain help", []string{"explain", "--help"}, exitOK, "derived: handler 30s + 5s", ""},
		{"help lint", []string{"help", "lint"}, exitOK, "Cross-tier rules:", ""},
		{"root help lists them", []string{"--help"}, exitOK, "explain     print every effective setting", ""},
		{"lint without files", []string{"lint"}, exitUsage, "", "no file to lint"},
		{"lint unknown flag", []string{"lint", "--yaml", "x"}, exitUsage, "", `harden lint --help`},
		{"lint missing file", []string{"lint", "testdata/nonexistent.yaml"}, exitUsage, "", "testdata/nonexistent.yaml"},
		{"explain two files", []string{"explain", "a", "b"}, exitUsage, "", "want one file, got 2"},
		{"explain a strict error", []string{"explain", "testdata/lint/strict/service.yaml"}, exitFailed, "", `testdata/lint/strict/service.yaml:4:5: server.timeouts.read_headr: unknown-key`},
		{"explain an invalid server", []string{"explain", "testdata/explain/invalid.yaml"}, exitFailed, "", "server.timeouts.write: write-after-handler"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
		})
	}
}
