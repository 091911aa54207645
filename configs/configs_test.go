package configs_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/configs"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Every reference config decodes strictly (no unknown or misspelt keys)
// and validates: users copy these files. A file holds a server: section
// (httpx.ServerConfig), a tls: section (tlsx.ServerConfig), or both, or a
// client: section (httpx.ClientConfig).
func TestReferenceConfigsAreValid(t *testing.T) {
	names, err := fs.Glob(configs.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no reference configs embedded: %v", err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := configs.FS.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			var file struct {
				Server *httpx.ServerConfig `yaml:"server"`
				TLS    *tlsx.ServerConfig  `yaml:"tls"`
				Client *httpx.ClientConfig `yaml:"client"`
			}
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&file); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if file.Server == nil && file.TLS == nil && file.Client == nil {
				t.Fatal("the file has no server:, tls: or client: section")
			}
			if file.Server != nil {
				if err := file.Server.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
			}
			if file.TLS != nil {
				validateTLS(t, *file.TLS)
			}
			if file.Client != nil {
				validateClient(t, *file.Client)
			}
		})
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
