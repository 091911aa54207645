package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kind is what a file linted holds, detected from its content.
type Kind string

// Kinds of file [Lint] reads. Traefik and Envoy files are read in their
// YAML form.
const (
	KindService        Kind = "harden"          // a whole-service config
	KindKubernetes     Kind = "kubernetes"      // manifests: Deployment, StatefulSet, DaemonSet, Pod, ...
	KindTraefikStatic  Kind = "traefik-static"  // entryPoints, the default serversTransport
	KindTraefikDynamic Kind = "traefik-dynamic" // http: serversTransports, services
	KindEnvoy          Kind = "envoy"           // bootstrap static_resources, or xDS resources
	KindUnknown        Kind = "unknown"
)

// Document is a file to lint: its name (for findings) and content.
type Document struct {
	Name string
	Data []byte
}

// maxDocuments bounds the YAML documents read from one file.
const maxDocuments = 1000

// parseAll returns the top node of each YAML document of data, skipping
// empty ones.
func parseAll(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for range maxDocuments {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Content) == 1 && !isNull(doc.Content[0]) {
			docs = append(docs, doc.Content[0])
		}
	}
	return nil, fmt.Errorf("more than %d YAML documents", maxDocuments)
}

// detect tells the kind of a file from its documents' top-level keys.
func detect(docs []*yaml.Node) Kind {
	for _, d := range docs {
		if get(d, "apiVersion") != nil && get(d, "kind") != nil {
			return KindKubernetes
		}
	}
	if len(docs) != 1 || docs[0].Kind != yaml.MappingNode {
		return KindUnknown
	}
	d := docs[0]
	switch {
	case get(d, "server") != nil || get(d, "tls") != nil || get(d, "client") != nil || get(d, "upstream") != nil:
		return KindService
	case get(d, "static_resources") != nil || get(d, "resources") != nil || strings.Contains(scalar(get(d, "@type")), "envoy"):
		return KindEnvoy
	case get(d, "entryPoints") != nil || get(d, "serversTransport") != nil || get(d, "providers") != nil:
		return KindTraefikStatic
	case get(d, "http", "routers") != nil || get(d, "http", "services") != nil || get(d, "http", "serversTransports") != nil:
		return KindTraefikDynamic
	}
	// A misspelt section ("servr:") is a service config whose loading
	// names the key it meant.
	for _, e := range entries(d) {
		for _, section := range tags(reflect.TypeFor[Service]()) {
			if editDistance(e[0].Value, section) <= 2 {
				return KindService
			}
		}
	}
	return KindUnknown
}

// get follows keys through nested mappings from n; nil when a key is
// absent or a node on the way is not a mapping.
func get(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// keyLine is the line of the last key of keys under n, or of n itself.
func keyLine(n *yaml.Node, keys ...string) int {
	if len(keys) == 0 {
		return n.Line
	}
	parent := get(n, keys[:len(keys)-1]...)
	if parent == nil || parent.Kind != yaml.MappingNode {
		return n.Line
	}
	for i := 0; i+1 < len(parent.Content); i += 2 {
		if parent.Content[i].Value == keys[len(keys)-1] {
			return parent.Content[i].Line
		}
	}
	return parent.Line
}

// entries returns the key-value pairs of a mapping node, in file order.
func entries(n *yaml.Node) [][2]*yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

// items returns the elements of a sequence node.
func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// duration reads a duration written as Go text ("90s", "1m30s") or as a
// bare number of unit (Traefik and Kubernetes count seconds), or as a
// protobuf Duration mapping {seconds, nanos} (Envoy).
func duration(n *yaml.Node, unit time.Duration) (time.Duration, error) {
	if n.Kind == yaml.MappingNode {
		s, _ := strconv.ParseInt(scalar(get(n, "seconds")), 10, 64)
		ns, _ := strconv.ParseInt(scalar(get(n, "nanos")), 10, 64)
		return time.Duration(s)*time.Second + time.Duration(ns), nil
	}
	v := strings.TrimSpace(scalar(n))
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < -1e9 || f > 1e9 {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		return time.Duration(f * float64(unit)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 30s", v)
	}
	return d, nil
}
