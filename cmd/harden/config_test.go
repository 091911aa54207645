package main

import (
	"strings"
	"testing"

	"github.com/harden-go/harden/configs"
)

func TestDecodeConfig(t *testing.T) {
	cases := []struct {
		name, yaml, err string
	}{
		{"server section", "server:\n  addr: :8080\n", ""},
		{"tls section", "tls:\n  cert_file: /c\n  key_file: /k\n", ""},
		{"misspelt key", "server:\n  adr: :8080\n", "server.adr"},
		{"unknown section", "clients:\n  timeout: 1s\n", "clients"},
		{"client section only", "client:\n  timeouts:\n    total: 1s\n", "neither a server: nor a tls: section"},
		{"empty", "", "the file is empty"},
		{"no section", "{}\n", "holds no section"},
		{"bad unit", "server:\n  limits:\n    max_body_bytes: 1 megabyte\n", `invalid size "1 megabyte"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeConfig("test.yaml", []byte(tc.yaml))
			if (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error = %v, want %q", err, tc.err)
			}
		})
	}
}

// Every embedded reference config is a profile serve can run.
func TestProfilesAreTheEmbeddedConfigs(t *testing.T) {
	for _, name := range profileNames() {
		if _, _, err := loadConfig("", name); err != nil {
			t.Errorf("profile %s: %v", name, err)
		}
		if _, err := configs.FS.ReadFile(name + ".yaml"); err != nil {
			t.Errorf("profile %s: %v", name, err)
		}
	}
	if len(profileNames()) == 0 {
		t.Fatal("no profiles")
	}
}

// Config files come from operators and from whatever writes them; no
// input makes decoding panic, and a decoded file has a section.
func FuzzDecodeConfig(f *testing.F) {
	for _, name := range profileNames() {
		data, _ := configs.FS.ReadFile(name + ".yaml")
		f.Add(data)
	}
	f.Add([]byte("server:\n  limits:\n    max_body_bytes: 9999999999999999999GiB\n"))
	f.Add([]byte("tls: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := decodeConfig("fuzz.yaml", data)
		if err == nil && cfg.Server == nil && cfg.TLS == nil {
			t.Errorf("decoded %q without a section", data)
		}
	})
}
