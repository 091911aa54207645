package configs_test

import (
	"bytes"
	"io/fs"
	"testing"

	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/configs"
	"github.com/harden-go/harden/httpx"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Every reference config decodes strictly (no unknown or misspelt keys)
// and validates: users copy these files.
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
				Server httpx.ServerConfig `yaml:"server"`
			}
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&file); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := file.Server.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}
