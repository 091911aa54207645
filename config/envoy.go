package config

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Envoy's defaults for what lint reads, from its API reference:
// HttpProtocolOptions.idle_timeout ("If not specified, this defaults to 1
// hour"; config.core.v3) and RouteAction.timeout (15s;
// config.route.v3). Durations are protobuf JSON strings such as "15s".
const (
	envoyIdleTimeout  = time.Hour
	envoyRouteTimeout = 15 * time.Second
	envoyDefaults     = "Envoy's default"
)

// readEnvoy returns the hops of an Envoy file: each cluster, with its
// upstream idle timeout, and each route, with its timeout and per-try
// timeout. Clusters and routes are found wherever they are in the file:
// a bootstrap's static_resources, or xDS resources.
func readEnvoy(file string, d *yaml.Node) ([]hop, []Finding) {
	r := &reader{file: file}
	var hops []hop
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			if isCluster(n) {
				hops = append(hops, r.cluster(n, path))
			}
			if isRoute(n) {
				hops = append(hops, r.route(n, path))
			}
			for _, e := range entries(n) {
				walk(e[1], join(path, e[0].Value))
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				walk(item, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(d, "")
	return hops, r.findings
}

func isCluster(n *yaml.Node) bool {
	return strings.HasSuffix(scalar(get(n, "@type")), ".Cluster") ||
		(get(n, "name") != nil && (get(n, "load_assignment") != nil || get(n, "connect_timeout") != nil))
}

func isRoute(n *yaml.Node) bool {
	return get(n, "match") != nil && get(n, "route") != nil
}

const envoyHTTPOptions = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

func (r *reader) cluster(n *yaml.Node, path string) hop {
	name := scalar(get(n, "name"))
	keys := []string{"typed_extension_protocol_options", envoyHTTPOptions, "common_http_protocol_options", "idle_timeout"}
	if get(n, keys...) == nil && get(n, "common_http_protocol_options") != nil {
		keys = []string{"common_http_protocol_options", "idle_timeout"} // the deprecated v3 field
	}
	idle := r.read(n, path, keys, time.Second, envoyIdleTimeout, envoyDefaults)
	return hop{name: fmt.Sprintf("Envoy cluster %q", name), idle: &idle}
}

func (r *reader) route(n *yaml.Node, path string) hop {
	name := scalar(get(n, "name"))
	if name == "" {
		name = path
	}
	waits := []setting{r.read(n, path, []string{"route", "timeout"}, time.Second, envoyRouteTimeout, envoyDefaults)}
	if get(n, "route", "retry_policy", "per_try_timeout") != nil {
		waits = append(waits, r.read(n, path, []string{"route", "retry_policy", "per_try_timeout"}, time.Second, 0, ""))
	}
	return hop{name: fmt.Sprintf("Envoy route %q", name), waits: waits}
}
