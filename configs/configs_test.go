package configs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/config"
	"github.com/harden-go/harden/configs"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Every reference service config decodes strictly (no unknown, misspelt
// or repeated keys) and validates: users copy these files.
func TestReferenceConfigsAreValid(t *testing.T) {
	names, err := fs.Glob(configs.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no reference configs embedded: %v", err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			file := load(t, name)
			s := file.Service
			if s.Server == nil && s.TLS == nil && s.Client == nil {
				t.Fatal("the file has no server:, tls: or client: section")
			}
			if s.Server != nil {
				if err := s.Server.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
			}
			if s.TLS != nil {
				validateTLS(t, *s.TLS)
			}
			if s.Client != nil {
				validateClient(t, *s.Client)
			}
		})
	}
}

func load(t *testing.T, name string) *config.File {
	t.Helper()
	data, err := configs.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := config.Parse(name, data, config.WithEnviron(nil))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

// Every reference file, linted together with every other (servers,
// proxies, load balancer and Deployment), gives no finding.
func TestReferenceConfigsLintClean(t *testing.T) {
	var docs []config.Document
	err := fs.WalkDir(configs.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := configs.FS.ReadFile(path)
		docs = append(docs, config.Document{Name: path, Data: data})
		return err
	})
	if err != nil || len(docs) < 9 {
		t.Fatalf("read %d files: %v", len(docs), err)
	}
	for _, f := range config.Lint(docs, config.WithEnviron(nil)) {
		t.Errorf("%s %s %s:%d %s: %s", f.Severity, f.Rule, f.File, f.Line, f.Key, f.Message)
	}
}

// The reference configs state harden's defaults where they do not
// describe the deployment: each effective server value equals
// httpx.DefaultServerConfig's but for the keys listed here, so neither
// the Go defaults nor the files drift from the other.
func TestReferenceConfigsAgreeWithDefaults(t *testing.T) {
	deployment := map[string][]string{
		"public-edge.yaml":   {"server.admin.addr", "server.admin.expose"},
		"internal-mtls.yaml": {"server.addr", "server.limits.max_body_bytes", "server.limits.min_body_rate", "server.admin.addr", "server.admin.expose"},
		"behind-lb.yaml":     {"server.limits.max_connections_per_ip", "server.shutdown.drain_delay", "server.admin.addr", "server.admin.expose"},
	}
	def, err := explain(t, &config.File{Name: "defaults", Service: config.Service{Server: &httpx.ServerConfig{}}})
	if err != nil {
		t.Fatal(err)
	}
	for name, keys := range deployment {
		t.Run(name, func(t *testing.T) {
			got, err := explain(t, load(t, name))
			if err != nil {
				t.Fatal(err)
			}
			var differ []string
			for key, v := range got {
				if d, ok := def[key]; ok && d != v {
					differ = append(differ, key)
				}
			}
			slices.Sort(differ)
			slices.Sort(keys)
			if !slices.Equal(differ, keys) {
				t.Fatalf("keys that differ from the defaults: %v, want %v", differ, keys)
			}
		})
	}
}

// explain returns f's effective values by key.
func explain(t *testing.T, f *config.File) (map[string]string, error) {
	t.Helper()
	settings, err := config.Explain(f)
	out := map[string]string{}
	for _, s := range settings {
		out[s.Key] = s.Value
	}
	return out, err
}

// tls-server.yaml is the tls: section of internal-mtls.yaml alone, for
// tlsx's example; the two say the same.
func TestTLSServerIsInternalMTLSSection(t *testing.T) {
	if a, b := load(t, "tls-server.yaml").Service.TLS, load(t, "internal-mtls.yaml").Service.TLS; !reflect.DeepEqual(a, b) {
		t.Fatalf("tls-server.yaml %+v\ninternal-mtls.yaml %+v", a, b)
	}
}

// The Deployment's readiness probe fails within harden's default
// drain_delay, which its doc comment derives from a 5s period and a
// failure threshold of 2.
func TestDeploymentProbeMatchesDefaultDrain(t *testing.T) {
	data, err := configs.FS.ReadFile("kubernetes/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						ReadinessProbe struct {
							PeriodSeconds    int `yaml:"periodSeconds"`
							FailureThreshold int `yaml:"failureThreshold"`
						} `yaml:"readinessProbe"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	p := d.Spec.Template.Spec.Containers[0].ReadinessProbe
	if p.PeriodSeconds != 5 || p.FailureThreshold != 2 {
		t.Fatalf("readiness probe %+v, want 5s x 2 as httpx's DrainDelay documents", p)
	}
	if fail := time.Duration(p.PeriodSeconds*p.FailureThreshold) * time.Second; fail > httpx.DefaultServerConfig().Shutdown.DrainDelay.Std() {
		t.Fatalf("the probe fails after %v, beyond the default drain_delay", fail)
	}
}

// validateTLS validates cfg with every file it names replaced by a
// working one from tlstest, so everything but the deployment's paths is
// checked.
func validateTLS(t *testing.T, cfg tlsx.ServerConfig) {
	t.Helper()
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	for _, f := range []struct {
		field, path string
		repl        *string
		with        string
	}{
		{"cert_file", cfg.CertFile, &cfg.CertFile, srv.CertFile},
		{"key_file", cfg.KeyFile, &cfg.KeyFile, srv.KeyFile},
		{"client_ca_file", cfg.ClientCAFile, &cfg.ClientCAFile, ca.CertFile},
		{"ticket_keys_file", cfg.TicketKeysFile, &cfg.TicketKeysFile, ticketKeys(t)},
	} {
		if f.path == "" {
			continue
		}
		if !filepath.IsAbs(f.path) {
			t.Errorf("tls.%s = %q, want an absolute path", f.field, f.path)
		}
		*f.repl = f.with
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// validateClient validates cfg with the files of its tls: section
// replaced by working ones from tlstest, and against the default server.
func validateClient(t *testing.T, cfg httpx.ClientConfig) {
	t.Helper()
	ca := tlstest.NewCA(t)
	cli := ca.Client(t)
	for _, f := range []struct {
		field string
		path  *string
		with  string
	}{
		{"ca_file", &cfg.TLS.CAFile, ca.CertFile},
		{"cert_file", &cfg.TLS.CertFile, cli.CertFile},
		{"key_file", &cfg.TLS.KeyFile, cli.KeyFile},
	} {
		if *f.path == "" {
			continue
		}
		if !filepath.IsAbs(*f.path) {
			t.Errorf("client.tls.%s = %q, want an absolute path", f.field, *f.path)
		}
		*f.path = f.with
	}
	if err := cfg.ValidateAgainst(httpx.DefaultServerConfig()); err != nil {
		t.Fatalf("ValidateAgainst the default server: %v", err)
	}
}

// ticketKeys writes a ticket keys file of two keys.
func ticketKeys(t *testing.T) string {
	name := filepath.Join(t.TempDir(), "keys")
	keys := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
	if err := os.WriteFile(name, []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}
