package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/harden-go/harden"
	"go.yaml.in/yaml/v3"
)

// walker checks a YAML tree against the Go type it will be decoded into,
// so that every unknown key, repeated key and ill-typed value is reported
// with its position and key path, not just the decoder's first error.
type walker struct {
	file    string
	sources map[string]Source
	env     map[string]string // key path -> the variable that set it
	errs    []error
}

func (w *walker) fail(src Source, key, rule, format string, args ...any) {
	w.errs = append(w.errs, &Error{Source: src, Err: &harden.ConfigError{Field: key, Rule: rule, Reason: fmt.Sprintf(format, args...)}})
}

// source is where the value of key, held by node n, came from.
func (w *walker) source(n *yaml.Node, key string) Source {
	if v, ok := w.env[key]; ok {
		return Source{Env: v}
	}
	return Source{File: w.file, Line: n.Line, Column: n.Column}
}

var unmarshalText = reflect.TypeFor[encoding.TextUnmarshaler]()

// isLeaf reports whether a value of t is written as one scalar.
func isLeaf(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(unmarshalText) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array, reflect.Pointer, reflect.Interface:
		return false
	}
	return true
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, key string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		w.fail(w.source(n, key), key, RuleAlias, "anchors and aliases are not read in a service config; write the value itself")
		return
	}
	if isNull(n) && !isLeaf(t) {
		return
	}
	switch {
	case isLeaf(t):
		w.leaf(n, t, key)
	case t.Kind() == reflect.Struct:
		w.mapping(n, key, func(k *yaml.Node) (reflect.Type, bool) {
			f, ok := fieldByTag(t, k.Value)
			return f.Type, ok
		}, func() []string { return tags(t) })
	case t.Kind() == reflect.Map:
		w.mapping(n, key, func(*yaml.Node) (reflect.Type, bool) { return t.Elem(), true }, nil)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.fail(w.source(n, key), key, RuleType, "want a list, found %s", describe(n))
			return
		}
		for i, item := range n.Content {
			k := fmt.Sprintf("%s[%d]", key, i)
			w.sources[k] = w.source(item, k)
			w.walk(item, t.Elem(), k)
		}
	}
}

// leaf checks that n decodes into a value of type t.
func (w *walker) leaf(n *yaml.Node, t reflect.Type, key string) {
	if n.Kind != yaml.ScalarNode {
		w.fail(w.source(n, key), key, RuleType, "want a single value, found %s", describe(n))
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		var te *yaml.TypeError
		var se *harden.SyntaxError
		switch {
		case errors.As(err, &se):
			w.fail(w.source(n, key), key, RuleType, "%q is not %s: %s", n.Value, typeName(t), se.Reason)
		case errors.As(err, &te):
			w.fail(w.source(n, key), key, RuleType, "%q is not %s", n.Value, typeName(t))
		default:
			w.fail(w.source(n, key), key, RuleType, "%q is not %s: %s", n.Value, typeName(t), cleanYAMLError(err))
		}
	}
}

// mapping checks the keys of n, a mapping whose value types field gives,
// and walks each value. known lists the valid keys for a suggestion; nil
// means any key is valid.
func (w *walker) mapping(n *yaml.Node, key string, field func(*yaml.Node) (reflect.Type, bool), known func() []string) {
	if n.Kind != yaml.MappingNode {
		w.fail(w.source(n, key), key, RuleType, "want a mapping of keys, found %s", describe(n))
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.fail(w.source(k, key), key, RuleType, "a key must be a plain name, found %s", describe(k))
			continue
		}
		path := join(key, k.Value)
		if first, dup := seen[k.Value]; dup {
			w.fail(w.source(k, path), path, RuleDuplicateKey, "is written twice, first at line %d; YAML keeps one silently, so remove one", first.Line)
			continue
		}
		seen[k.Value] = k
		t, ok := field(k)
		if !ok {
			w.fail(w.source(k, path), path, RuleUnknownKey, "is not a key of %s%s", sectionName(key), suggest(k.Value, known()))
			continue
		}
		w.sources[path] = w.source(k, path)
		w.walk(v, t, path)
	}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func sectionName(key string) string {
	if key == "" {
		return "a service config (server, tls, client, upstream)"
	}
	return key
}

// fieldByTag returns the field of struct t whose yaml tag names key.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tagName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

func tags(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if n := tagName(t.Field(i)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// suggest names the known key closest to key, when one is close enough
// to be a typo.
func suggest(key string, known []string) string {
	best, dist := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < dist {
			best, dist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	if len(known) > 0 {
		return fmt.Sprintf("; known keys: %s", strings.Join(slices.Sorted(slices.Values(known)), ", "))
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}

func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[harden.Duration]():
		return "a duration (such as 30s or 1m30s)"
	case t == reflect.TypeFor[harden.Bytes]():
		return "a size (such as 64KiB or 1MiB)"
	case t == reflect.TypeFor[harden.Rate]():
		return "a rate (such as 35KiB/s)"
	case t.Kind() == reflect.Bool:
		return "a boolean (true or false)"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "an integer"
	}
	return "a " + t.Kind().String()
}
