package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/harden-go/harden/config"
	"github.com/harden-go/harden/configs"
)

// defaultProfile is the reference config serve runs without --config or
// --profile: a public server behind a load balancer.
const defaultProfile = "public-edge"

// fileConfig is a harden config file as serve and doctor read it; they
// use its server: and tls: sections.
type fileConfig = config.Service

// errUnknownProfile is returned by loadConfig for a --profile that names
// no embedded reference config: a usage error.
var errUnknownProfile = errors.New("no such profile")

// decodeConfig decodes the config file name strictly, with its HARDEN_*
// environment overrides (package config): an unknown or misspelt key is
// an error that names the file, line and key, not a silently ignored
// default.
func decodeConfig(name string, data []byte) (fileConfig, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return fileConfig{}, errors.New("the file is empty; write a server: or a tls: section")
	}
	f, err := config.Parse(name, data)
	if err != nil {
		return fileConfig{}, err
	}
	if f.Service.Server == nil && f.Service.TLS == nil {
		return f.Service, errors.New("the file has neither a server: nor a tls: section")
	}
	return f.Service, nil
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
	f, err := decodeConfig(name, data) // its errors name the file
	if err != nil {
		return fileConfig{}, name, err
	}
	return f, name, nil
}

// profileNames lists by name, without their .yaml extension, the
// embedded reference configs that have a server: or a tls: section.
func profileNames() []string {
	files, _ := fs.Glob(configs.FS, "*.yaml") // the pattern is valid
	var names []string
	for _, f := range files {
		data, _ := configs.FS.ReadFile(f)
		if _, err := decodeConfig(f, data); err == nil {
			names = append(names, strings.TrimSuffix(f, ".yaml"))
		}
	}
	return names
}
