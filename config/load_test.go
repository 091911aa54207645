package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden/httpx"
)

// problem is what a test expects of one *Error.
type problem struct {
	rule, key    string
	line, column int
	reason       string // a fragment of the reason
}

func problemsOf(t *testing.T, err error) []problem {
	t.Helper()
	var out []problem
	for _, e := range flatten(err) {
		var pe *Error
		var ce *ConfigError
		if !errors.As(e, &pe) || !errors.As(e, &ce) {
			t.Fatalf("%v is not an *Error wrapping a *ConfigError", e)
		}
		out = append(out, problem{rule: ce.Rule, key: ce.Field, line: pe.Source.Line, column: pe.Source.Column, reason: ce.Reason})
	}
	return out
}

func TestParseRefusesWithPositionAndKey(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []problem
	}{
		{"unknown key with a suggestion", "server:\n  timeouts:\n    read_headr: 5s\n",
			[]problem{{RuleUnknownKey, "server.timeouts.read_headr", 3, 5, `did you mean "read_header"?`}}},
		{"unknown section", "servr:\n  addr: x\n",
			[]problem{{RuleUnknownKey, "servr", 1, 1, `did you mean "server"?`}}},
		{"duplicate key", "server:\n  addr: \":1\"\n  addr: \":2\"\n",
			[]problem{{RuleDuplicateKey, "server.addr", 3, 3, "first at line 2"}}},
		{"duration of the wrong type", "server:\n  timeouts:\n    idle: 2 minutes\n",
			[]problem{{RuleType, "server.timeouts.idle", 3, 11, "duration"}}},
		{"size with an unknown unit", "server:\n  limits:\n    max_body_bytes: 1XB\n",
			[]problem{{RuleType, "server.limits.max_body_bytes", 3, 21, "unknown unit"}}},
		{"mapping where a value belongs", "server:\n  addr:\n    host: x\n",
			[]problem{{RuleType, "server.addr", 3, 5, "want a single value"}}},
		{"value where a mapping belongs", "server:\n  timeouts: 30s\n",
			[]problem{{RuleType, "server.timeouts", 2, 13, "want a mapping"}}},
		{"alias", "server:\n  timeouts: &t\n    idle: 90s\ntls:\n  min_version: *t\n",
			[]problem{{RuleAlias, "server.timeouts", 2, 13, "anchors and aliases"}, {RuleAlias, "tls.min_version", 5, 16, "anchors and aliases"}}},
		{"second document", "server: {}\n---\ntls: {}\n",
			[]problem{{RuleSyntax, "", 2, 1, "second YAML document"}}},
		{"syntax", "server:\n  addr: [\n",
			[]problem{{RuleSyntax, "", 2, 0, "did not find expected node content"}}},
		{"not a mapping", "- server\n",
			[]problem{{RuleType, "", 1, 1, "mapping of sections"}}},
		{"no section", "# nothing\n",
			[]problem{{RuleEmpty, "", 0, 0, "holds no section"}}},
		{"every problem at once", "server:\n  addr: \":1\"\n  addr: \":2\"\n  timeouts:\n    idle: soon\n  extra: 1\n",
			[]problem{
				{RuleDuplicateKey, "server.addr", 3, 3, ""},
				{RuleType, "server.timeouts.idle", 5, 11, ""},
				{RuleUnknownKey, "server.extra", 6, 3, ""},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("svc.yaml", []byte(tc.yaml), WithEnviron(nil))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", f.Service)
			}
			got := problemsOf(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.rule != w.rule || g.key != w.key || g.line != w.line || (w.column != 0 && g.column != w.column) || !strings.Contains(g.reason, w.reason) {
					t.Errorf("problem %d = %+v, want %+v", i, g, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "svc.yaml") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

// The test a new user writes: a config with one changed field decodes,
// and the rest stays zero for the defaults to fill.
func TestParseOneChangedField(t *testing.T) {
	f, err := Parse("svc.yaml", []byte("server:\n  timeouts:\n    handler: 60s\n"), WithEnviron(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := httpx.ServerConfig{}
	want.Timeouts.Handler = time.Minute
	if !reflect.DeepEqual(*f.Service.Server, want) {
		t.Fatalf("Service.Server = %+v, want %+v", *f.Service.Server, want)
	}
	if src, ok := f.Source("server.timeouts.handler"); !ok || src.Line != 3 || src.Column != 5 {
		t.Fatalf("Source = %+v, %v; want line 3 column 5", src, ok)
	}
	if _, ok := f.Source("server.timeouts.idle"); ok {
		t.Fatal("an unwritten key has a source")
	}
}

func TestParseEnvironment(t *testing.T) {
	file := "server:\n  addr: \":8080\"\n"
	t.Run("overrides a written value and adds an unwritten one", func(t *testing.T) {
		f, err := Parse("svc.yaml", []byte(file), WithEnviron([]string{
			"HARDEN_SERVER_ADDR=:9000",
			"HARDEN_SERVER_SHUTDOWN_TERMINATION_GRACE=60s",
			"HARDEN_TLS_CERT_FILE=/run/tls/tls.crt",
			"HARDEN_SERVER_TIMEOUTS_IDLE=", // empty: ignored
			"HARDEN_UNRELATED=1",           // not under a section: ignored
			"PATH=/bin",
		}))
		if err != nil {
			t.Fatal(err)
		}
		s := f.Service
		if s.Server.Addr != ":9000" || s.Server.Shutdown.TerminationGrace != time.Minute || s.TLS == nil || s.TLS.CertFile != "/run/tls/tls.crt" {
			t.Fatalf("Service = %+v, TLS %+v", *s.Server, s.TLS)
		}
		if src, _ := f.Source("server.addr"); src.Env != "HARDEN_SERVER_ADDR" || src.String() != "$HARDEN_SERVER_ADDR" {
			t.Fatalf("Source(server.addr) = %+v", src)
		}
	})
	t.Run("validated like the file", func(t *testing.T) {
		_, err := Parse("svc.yaml", []byte(file), WithEnviron([]string{"HARDEN_SERVER_TIMEOUTS_IDLE=forever", "HARDEN_SERVER_ADRR=:1"}))
		got := problemsOf(t, err)
		if len(got) != 2 {
			t.Fatalf("got %v, want two problems", err)
		}
		for _, want := range []string{"$HARDEN_SERVER_TIMEOUTS_IDLE: server.timeouts.idle: type:", "$HARDEN_SERVER_ADRR: unknown-key:"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
	})
}

func TestEnvNames(t *testing.T) {
	keys := EnvKeys()
	seen := map[string]string{}
	for _, k := range keys {
		name := EnvName(k)
		if other, dup := seen[name]; dup {
			t.Errorf("%s and %s share the variable %s", k, other, name)
		}
		seen[name] = k
	}
	for _, k := range []string{"server.addr", "server.timeouts.upstream_idle", "tls.cert_file", "upstream.idle_timeout"} {
		if !slices.Contains(keys, k) {
			t.Errorf("EnvKeys lacks %s", k)
		}
	}
	if got := EnvName("server.timeouts.upstream_idle"); got != "HARDEN_SERVER_TIMEOUTS_UPSTREAM_IDLE" {
		t.Errorf("EnvName = %s", got)
	}
}

// FuzzParse feeds arbitrary files and environment values to the loader,
// which must return a File or errors that carry a position and rule, and
// never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("server:\n  addr: \":8080\"\n  timeouts: {idle: 90s}\n"), "30s")
	f.Add([]byte("server:\n  limits:\n    max_body_bytes: 1MiB\n    min_body_rate: 1KiB/s\n"), "1MiB")
	f.Add([]byte("tls:\n  allowed_clients:\n    uri_prefixes: [a, b]\n"), "")
	f.Add([]byte("a: &x [*x]\n"), "x")
	f.Add([]byte("upstream: {name: lb, idle_timeout: 60}\n---\n"), "-1")
	f.Fuzz(func(t *testing.T, data []byte, env string) {
		file, err := Parse("fuzz.yaml", data, WithEnviron([]string{"HARDEN_SERVER_TIMEOUTS_IDLE=" + env, "HARDEN_SERVER_LIMITS_MAX_BODY_BYTES=" + env}))
		if err == nil {
			if file == nil {
				t.Fatal("nil File without an error")
			}
			return
		}
		for _, e := range flatten(err) {
			var ce *ConfigError
			if !errors.As(e, &ce) || ce.Rule == "" {
				t.Fatalf("problem without a rule: %v", e)
			}
		}
	})
}
