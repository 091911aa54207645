package config

import (
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// envPrefix starts every override variable.
const envPrefix = "HARDEN_"

// EnvName is the environment variable that overrides the value at key:
// HARDEN_ followed by the key path upper-cased, with each "." written "_"
// (server.timeouts.upstream_idle: HARDEN_SERVER_TIMEOUTS_UPSTREAM_IDLE).
func EnvName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// EnvKeys lists the key paths that environment variables may override:
// every single-valued key of a [Service], in file order.
func EnvKeys() []string {
	return leaves(reflect.TypeFor[Service](), "")
}

func leaves(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if isLeaf(t) {
		return []string{prefix}
	}
	if t.Kind() != reflect.Struct {
		return nil // lists and maps are written in the file
	}
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		if name := tagName(f); name != "" {
			keys = append(keys, leaves(f.Type, join(prefix, name))...)
		}
	}
	return keys
}

// applyEnv writes each override of environ into root, recording which
// variable set which key, and reports variables under a section's prefix
// that name no key. An empty variable is ignored, as if unset.
func (w *walker) applyEnv(root *yaml.Node, environ []string) {
	byName := map[string]string{}
	for _, k := range EnvKeys() {
		byName[EnvName(k)] = k
	}
	sections := tags(reflect.TypeFor[Service]())
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || value == "" {
			continue
		}
		key, ok := byName[name]
		if !ok {
			if slices.ContainsFunc(sections, func(s string) bool { return strings.HasPrefix(name, EnvName(s)+"_") }) {
				w.fail(Source{Env: name}, "", RuleUnknownKey, "names no key of a service config; the variable for a key is HARDEN_ and its path upper-cased with _ for . (HARDEN_SERVER_ADDR)")
			}
			continue
		}
		w.env[key] = name
		setScalar(root, strings.Split(key, "."), value)
	}
}

// setScalar sets the value at path under the mapping m, creating the
// mappings on the way.
func setScalar(m *yaml.Node, path []string, value string) {
	for i, k := range path {
		var next *yaml.Node
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == k {
				next = m.Content[j+1]
			}
		}
		last := i == len(path)-1
		if next == nil {
			next = &yaml.Node{}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, next)
		}
		if last {
			*next = yaml.Node{Kind: yaml.ScalarNode, Value: value, Line: next.Line, Column: next.Column}
			return
		}
		if next.Kind != yaml.MappingNode {
			*next = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: next.Line, Column: next.Column}
		}
		m = next
	}
}
