package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/configs"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/tlsx"
)

// defaultProfile is the reference config serve runs without --config or
// --profile: a public server behind a load balancer.
const defaultProfile = "server-edge"

// fileConfig is a harden config file as serve and doctor read it: a
// server: section, a tls: section, or both, as in configs/.
type fileConfig struct {
	Server *httpx.ServerConfig `yaml:"server"`
	TLS    *tlsx.ServerConfig  `yaml:"tls"`
}

// errUnknownProfile is returned by loadConfig for a --profile that names
// no embedded reference config: a usage error.
var errUnknownProfile = errors.New("no such profile")

// decodeConfig decodes a config file strictly: an unknown or misspelt key
// is an error, not a silently ignored default.
func decodeConfig(data []byte) (fileConfig, error) {
	var f fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return f, errors.New("the file is empty; write a server: or a tls: section")
		}
		return f, err
	}
	if f.Server == nil && f.TLS == nil {
		return f, errors.New("the file has neither a server: nor a tls: section")
	}
	return f, nil
}

// loadConfig reads the config file named file or, when file is empty, the
// embedded reference config called profile. It returns the config and a
// name for it to print.
func loadConfig(file, profile string) (fileConfig, string, error) {
	var (
		data []byte
		err  error
		name string
	)
	if file != "" {
		name = file
		data, err = os.ReadFile(file)
	} else {
		name = "profile " + profile
		if !slices.Contains(profileNames(), profile) {
			return fileConfig{}, name, fmt.Errorf("%w %q; the profiles are: %s", errUnknownProfile, profile, strings.Join(profileNames(), ", "))
		}
		data, err = configs.FS.ReadFile(profile + ".yaml")
	}
	if err != nil {
		return fileConfig{}, name, err
	}
	f, err := decodeConfig(data)
	if err != nil {
		return fileConfig{}, name, fmt.Errorf("%s: %w", name, err)
	}
	return f, name, nil
}

// profileNames lists the embedded reference configs by name, without
// their .yaml extension.
func profileNames() []string {
	files, _ := fs.Glob(configs.FS, "*.yaml") // the pattern is valid
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(f, ".yaml")
	}
	return names
}
