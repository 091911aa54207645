// Package configtest checks that a config survives JSON and YAML: what is
// encoded decodes to the same value, and every duration, size and rate is
// written in its human unit.
package configtest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden"
)

// RoundTrip encodes cfg, a config struct, as JSON and as YAML, and fails t
// unless each decodes back to cfg and writes every [harden.Duration],
// [harden.Bytes] and [harden.Rate] as the string its String method gives.
func RoundTrip[T any](t *testing.T, cfg T) {
	t.Helper()
	for _, key := range raw(reflect.TypeOf(cfg), "") {
		t.Errorf("%s is a bare time.Duration or int64, which JSON writes as a number; use harden.Duration, Bytes or Rate", key)
	}
	for _, codec := range []struct {
		name      string
		marshal   func(any) ([]byte, error)
		unmarshal func([]byte, any) error
	}{
		{"JSON", json.Marshal, json.Unmarshal},
		{"YAML", yaml.Marshal, yaml.Unmarshal},
	} {
		data, err := codec.marshal(cfg)
		if err != nil {
			t.Fatalf("%s encoding: %v", codec.name, err)
		}
		var back T
		if err := codec.unmarshal(data, &back); err != nil {
			t.Fatalf("%s decoding of\n%s: %v", codec.name, data, err)
		}
		if !same(reflect.ValueOf(back), reflect.ValueOf(cfg)) {
			t.Errorf("%s round trip:\n got %+v\nwant %+v\nfrom\n%s", codec.name, back, cfg, data)
		}
		var tree any
		if err := codec.unmarshal(data, &tree); err != nil {
			t.Fatalf("%s decoding as a tree: %v", codec.name, err)
		}
		for key, want := range units(reflect.ValueOf(cfg), "") {
			if got := lookup(tree, key); got != want {
				t.Errorf("%s writes %s as %#v, want %q", codec.name, key, got, want)
			}
		}
	}
}

var unitTypes = map[reflect.Type]bool{
	reflect.TypeFor[harden.Duration](): true,
	reflect.TypeFor[harden.Bytes]():    true,
	reflect.TypeFor[harden.Rate]():     true,
}

// units maps the key path of each unit-typed field of v to its text.
func units(v reflect.Value, prefix string) map[string]string {
	out := map[string]string{}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return out
		}
		v = v.Elem()
	}
	if unitTypes[v.Type()] {
		out[prefix] = fmt.Sprint(v.Interface())
		return out
	}
	if v.Kind() != reflect.Struct {
		return out
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		for k, s := range units(v.Field(i), strings.TrimPrefix(prefix+"."+name, ".")) {
			out[k] = s
		}
	}
	return out
}

// raw lists the key paths of fields of t that would be written as bare
// numbers of nanoseconds or bytes.
func raw(t reflect.Type, prefix string) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Duration](), t.Kind() == reflect.Int64 && !unitTypes[t]:
		return []string{prefix}
	case t.Kind() != reflect.Struct:
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && name != "-" && name != "" {
			out = append(out, raw(f.Type, strings.TrimPrefix(prefix+"."+name, "."))...)
		}
	}
	return out
}

// same is reflect.DeepEqual for config values, except that a nil slice
// equals an empty one: YAML and JSON write both as [].
func same(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return same(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !same(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !same(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// lookup follows the dotted key through maps decoded from JSON or YAML.
func lookup(tree any, key string) any {
	for _, k := range strings.Split(key, ".") {
		m, ok := tree.(map[string]any)
		if !ok {
			return nil
		}
		tree = m[k]
	}
	return tree
}
