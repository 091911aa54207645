package config_test

import (
	"fmt"
	"io/fs"

	"github.com/harden-go/harden/config"
	"github.com/harden-go/harden/configs"
)

// A reference config, loaded strictly with a per-deployment override,
// and where each value came from.
func ExampleParse() {
	data, err := configs.FS.ReadFile("behind-lb.yaml")
	if err != nil {
		panic(err)
	}
	f, err := config.Parse("behind-lb.yaml", data, config.WithEnviron([]string{"HARDEN_SERVER_ADDR=:9000"}))
	if err != nil {
		panic(err)
	}
	settings, err := config.Explain(f)
	if err != nil {
		panic(err)
	}
	for _, s := range settings {
		switch s.Key {
		case "server.addr", "server.timeouts.write", "server.shutdown.drain_delay", "server.shutdown.timeout":
			fmt.Printf("%s = %s (%s)\n", s.Key, s.Value, s.Origin)
		}
	}
	// Output:
	// server.addr = :9000 ($HARDEN_SERVER_ADDR)
	// server.timeouts.write = 35s (derived: handler 30s + 5s)
	// server.shutdown.drain_delay = 15s (behind-lb.yaml:24:5)
	// server.shutdown.timeout = 15s (default)
}

// Linting a server with the proxy and Deployment in front of and around
// it: every finding names the rule, the place and the numbers.
func ExampleLint() {
	docs := []config.Document{
		{Name: "service.yaml", Data: []byte("server:\n  timeouts:\n    idle: 60s\n")},
		{Name: "traefik.yml", Data: []byte("entryPoints:\n  web:\n    address: \":80\"\n")},
		{Name: "deployment.yaml", Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          lifecycle: {preStop: {sleep: {seconds: 10}}}
`)},
	}
	for _, f := range config.Lint(docs, config.WithEnviron(nil)) {
		fmt.Printf("%s %s %s:%d %s\n", f.Severity, f.Rule, f.File, f.Line, f.Key)
	}
	// Output:
	// error shutdown-within-grace deployment.yaml:0 spec.template.spec.terminationGracePeriodSeconds
	// error idle-above-upstream service.yaml:3 server.timeouts.idle
}

// The reference configs, linted together, give no finding.
func ExampleLint_referenceConfigs() {
	var docs []config.Document
	_ = fs.WalkDir(configs.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := configs.FS.ReadFile(path)
			docs = append(docs, config.Document{Name: path, Data: data})
		}
		return err
	})
	fmt.Println(len(docs), "files,", len(config.Lint(docs, config.WithEnviron(nil))), "findings")
	// Output:
	// 11 files, 0 findings
}
