package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// deployment is a Deployment of one container listening on 8080, with
// the given lines under the container and the pod spec.
func deployment(container, pod string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
` + indent(pod, "      ") + `      containers:
        - name: api
          ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 9090}]
` + indent(container, "          ")
}

func indent(s, by string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// exposedAdmin is a server whose admin port the kubelet can probe.
const exposedAdmin = "server:\n  admin: {addr: \":9090\", expose: true}\n"

// Each rule has a config that breaks it: if the rule stops firing, its
// case fails. key and line locate the finding.
func TestEachRuleFires(t *testing.T) {
	cases := []struct {
		rule  string
		docs  []string // svc.yaml, then other.yaml, third.yaml
		file  string
		key   string
		line  int
		words []string // fragments the message or fix must hold: the numbers
	}{
		{rule: RuleIdleAboveUpstream, docs: []string{"server:\n  timeouts:\n    idle: 60s\n", "serversTransport: {}\n"},
			file: "svc.yaml", key: "server.timeouts.idle", line: 3, words: []string{"60s", "idleConnTimeout 90s (not written: Traefik v3's default"}},
		{rule: RuleIdleAboveUpstream, docs: []string{"server: {}\n", "http:\n  serversTransports:\n    api:\n      forwardingTimeouts: {idleConnTimeout: 0}\n"},
			file: "svc.yaml", key: "server.timeouts.idle", words: []string{"120s (not written: harden's default)", "never closes idle connections"}},
		{rule: RuleIdleAboveUpstream, docs: []string{"server: {}\n", "static_resources:\n  clusters:\n    - name: api\n      connect_timeout: 1s\n"},
			file: "svc.yaml", key: "server.timeouts.idle", words: []string{`Envoy cluster "api"`, "idle_timeout 3600s (not written: Envoy's default"}},
		{rule: RuleIdleAboveUpstream, docs: []string{"server: {}\nupstream: {name: nlb, idle_timeout: 350s}\n"},
			file: "svc.yaml", key: "server.timeouts.idle", words: []string{"nlb", "upstream.idle_timeout 350s (svc.yaml:2)"}},
		{rule: RuleAttemptAboveHandler, docs: []string{"server: {}\n", "serversTransport:\n  forwardingTimeouts:\n    responseHeaderTimeout: 30\n"},
			file: "other.yaml", key: "serversTransport.forwardingTimeouts.responseHeaderTimeout", line: 3, words: []string{"responseHeaderTimeout 30s", "handler 30s", "at least 35s"}},
		{rule: RuleAttemptAboveHandler, docs: []string{"server: {}\n", "entryPoints:\n  web:\n    transport:\n      respondingTimeouts: {writeTimeout: 20s}\n"},
			file: "other.yaml", key: "entryPoints.web.transport.respondingTimeouts.writeTimeout", line: 4, words: []string{`entry point "web"`, "20s"}},
		{rule: RuleAttemptAboveHandler, docs: []string{"server: {}\n", "resources:\n  - name: r\n    virtual_hosts:\n      - routes:\n          - match: {prefix: /}\n            route: {cluster: api}\n"},
			file: "other.yaml", key: "resources[0].virtual_hosts[0].routes[0].route.timeout", words: []string{"route.timeout 15s (not written: Envoy's default"}},
		{rule: RuleAttemptAboveHandler, docs: []string{"server:\n  timeouts: {handler: 90s}\nupstream: {request_timeout: 60s}\n"},
			file: "svc.yaml", key: "upstream.request_timeout", line: 3, words: []string{"60s", "handler 90s (svc.yaml:2)"}},
		{rule: RuleBodyWithinProxyRead, docs: []string{"server:\n  limits: {max_body_bytes: 64MiB, min_body_rate: 512KiB/s}\n  timeouts: {handler: 5m}\n", "entryPoints:\n  web:\n    address: \":80\"\n"},
			file: "other.yaml", key: "entryPoints.web.transport.respondingTimeouts.readTimeout", words: []string{"64MiB", "512KiB/s", "128s", "readTimeout 60s (not written: Traefik v3's default)"}},
		{rule: RuleShutdownInGrace, docs: []string{exposedAdmin, deployment("lifecycle:\n  preStop:\n    exec:\n      command: [/bin/sh, -c, sleep 10]\n", "")},
			file: "other.yaml", key: "spec.template.spec.terminationGracePeriodSeconds", words: []string{"preStop.exec.command 10s", "drain_delay 10s", "timeout 15s", "= 35s", "30s (not written: Kubernetes' default", "to 40"}},
		{rule: RuleShutdownInGrace, docs: []string{"server:\n  shutdown: {drain_delay: 5s, timeout: 20s}\n", deployment("lifecycle: {preStop: {sleep: {seconds: 5}}}\n", "terminationGracePeriodSeconds: 30\n")},
			file: "other.yaml", key: "spec.template.spec.terminationGracePeriodSeconds", line: 7, words: []string{"= 30s", "30s (other.yaml:7)"}},
		{rule: RuleReadinessInDrain, docs: []string{exposedAdmin, "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n---\n" + deployment("readinessProbe:\n  httpGet: {path: /readyz, port: admin}\n", "")},
			file: "svc.yaml", key: "server.shutdown.drain_delay", words: []string{"periodSeconds 10s x failureThreshold 3 = 30s", "drain_delay 10s"}},
		{rule: RuleProbeReachesAdmin, docs: []string{"server: {}\n", deployment("livenessProbe:\n  httpGet: {path: /livez, port: 9090}\n", "")},
			file: "other.yaml", key: "spec.template.spec.containers[0].livenessProbe", line: 10, words: []string{"9090", "loopback"}},
		{rule: RuleContainerFound, docs: []string{"server: {addr: \":7000\"}\n", deployment("", "") + "        - name: sidecar\n"},
			file: "other.yaml", key: "Deployment/api", words: []string{"port 7000", "2 containers"}},
		{rule: RuleCopyMatches, docs: []string{"server:\n  timeouts: {upstream_idle: 60s}\n", "serversTransport: {}\n"},
			file: "svc.yaml", key: "server.timeouts.upstream_idle", line: 2, words: []string{"60s", "90s"}},
		{rule: RuleCopyMatches, docs: []string{"server:\n  shutdown: {termination_grace: 60s}\n", deployment("", "")},
			file: "svc.yaml", key: "server.shutdown.termination_grace", line: 2, words: []string{"60s", "30s"}},
		{rule: RuleConnectionAgeReplicas, docs: []string{"server:\n  limits: {max_connection_age: -1s}\n", strings.Replace(deployment("", ""), "spec:\n", "spec:\n  replicas: 3\n", 1)},
			file: "svc.yaml", key: "server.limits.max_connection_age", line: 2, words: []string{"Deployment/api", "replicas 3 (other.yaml:5)", "5m"}},
		{rule: RuleConnectionAgeReplicas, docs: []string{"server:\n  limits: {max_connection_age: -1s}\n", deployment("", ""),
			"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n"},
			file: "svc.yaml", key: "server.limits.max_connection_age", line: 2, words: []string{"HorizontalPodAutoscaler/api (third.yaml:2)"}},
		{rule: RuleUnknownKind, docs: []string{"server: {}\n", "hello: world\n"}, file: "other.yaml"},
		{rule: RuleUnknownKey, docs: []string{"server:\n  idle: 1s\n"}, file: "svc.yaml", key: "server.idle", line: 2},
		{rule: RuleDuplicateKey, docs: []string{"server: {}\nserver: {}\n"}, file: "svc.yaml", key: "server", line: 2},
		{rule: RuleType, docs: []string{"server:\n  admin: {expose: maybe}\n"}, file: "svc.yaml", key: "server.admin.expose", line: 2},
		{rule: RuleType, docs: []string{"server: {}\n", "serversTransport:\n  forwardingTimeouts: {idleConnTimeout: soon}\n"},
			file: "other.yaml", key: "serversTransport.forwardingTimeouts.idleConnTimeout", line: 2},
		{rule: RuleAlias, docs: []string{"server: &s {}\n"}, file: "svc.yaml", key: "server", line: 1},
		{rule: RuleSyntax, docs: []string{"server: [\n"}, file: "svc.yaml", line: 1},
		{rule: RuleRange, docs: []string{"upstream: {idle_timeout: -1s}\n"}, file: "svc.yaml", key: "upstream.idle_timeout", line: 1},
		{rule: RuleIdleAboveUpstream, docs: []string{"server: {}\n", "upstream: {name: nlb, idle_timeout: 350s}\n"},
			file: "svc.yaml", key: "server.timeouts.idle", words: []string{"nlb", "upstream.idle_timeout 350s (other.yaml:1)"}},
		// The client rules, between a client and the server of another file.
		{rule: "idle-below-server", docs: []string{"client:\n  timeouts: {idle: 90s}\n", "server:\n  timeouts: {idle: 60s}\n"},
			file: "svc.yaml", key: "client.timeouts.idle", line: 2, words: []string{"1m30s", "1m0s", "(the server of other.yaml)"}},
		{rule: "attempt-above-handler", docs: []string{"client:\n  timeouts: {response_header: 20s}\n", "server: {}\n"},
			file: "svc.yaml", key: "client.timeouts.response_header", line: 2, words: []string{"20s", "30s", "(the server of other.yaml)"}},
		{rule: "idle-below-server", docs: []string{"client:\n  timeouts: {idle: 200s}\n", "entryPoints:\n  web:\n    address: \":80\"\n"},
			file: "svc.yaml", key: "client.timeouts.idle", line: 2, words: []string{"200s", `entry point "web"`, "idleTimeout 180s (not written: Traefik v3's default)"}},
		{rule: "header-within-total", docs: []string{"client:\n  timeouts: {response_header: 70s, total: 60s}\n"},
			file: "svc.yaml", key: "client.timeouts.response_header", line: 2},
		{rule: "pool-shape", docs: []string{"client:\n  pool: {max_idle_per_host: 2}\n"},
			file: "svc.yaml", key: "client.pool.max_idle_per_host", line: 2},
		// Each section's own rules, as its Validate names them.
		{rule: "write-after-handler", docs: []string{"server:\n  timeouts: {handler: 30s, write: 30s}\n"}, file: "svc.yaml", key: "server.timeouts.write", line: 2},
		{rule: "admin-loopback", docs: []string{"server:\n  admin: {addr: \":9090\"}\n"}, file: "svc.yaml", key: "server.admin.addr", line: 2},
		{rule: "client-auth-ignores-ca", docs: []string{"tls: {cert_file: /c, key_file: /k, client_ca_file: /ca, client_auth: request}\n"}, file: "svc.yaml", key: "tls.client_auth", line: 1},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.rule] = true
		t.Run(tc.rule, func(t *testing.T) {
			var docs []Document
			for i, d := range tc.docs {
				docs = append(docs, Document{Name: []string{"svc.yaml", "other.yaml", "third.yaml"}[i], Data: []byte(d)})
			}
			findings := Lint(docs, WithEnviron(nil))
			i := slices.IndexFunc(findings, func(f Finding) bool { return f.Rule == tc.rule })
			if i < 0 {
				t.Fatalf("rule %s did not fire; findings: %s", tc.rule, dump(findings))
			}
			f := findings[i]
			if f.File != tc.file || f.Key != tc.key || (tc.line != 0 && f.Line != tc.line) {
				t.Errorf("finding at %s:%d %s, want %s:%d %s", f.File, f.Line, f.Key, tc.file, tc.line, tc.key)
			}
			for _, w := range tc.words {
				if !strings.Contains(f.Message+" "+f.Fix, w) {
					t.Errorf("finding does not say %q: %s fix: %s", w, f.Message, f.Fix)
				}
			}
			if f.Message == "" || f.Severity == "" {
				t.Errorf("finding without message or severity: %+v", f)
			}
		})
	}
	for _, rule := range []string{RuleSyntax, RuleUnknownKey, RuleDuplicateKey, RuleType, RuleAlias, RuleRange, RuleUnknownKind,
		RuleIdleAboveUpstream, RuleAttemptAboveHandler, RuleShutdownInGrace, RuleReadinessInDrain, RuleProbeReachesAdmin,
		RuleContainerFound, RuleCopyMatches, RuleBodyWithinProxyRead, RuleConnectionAgeReplicas} {
		if !covered[rule] {
			t.Errorf("rule %s has no case", rule)
		}
	}
}

func dump(fs []Finding) string {
	var sb strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&sb, "\n  %s %s %s:%d %s: %s", f.Severity, f.Rule, f.File, f.Line, f.Key, f.Message)
	}
	return sb.String()
}

// The test a new user writes: harden's defaults in a Deployment, a
// Traefik and a cloud load balancer that took theirs agree.
func TestDefaultsAgree(t *testing.T) {
	docs := []Document{
		{Name: "svc.yaml", Data: []byte("server: {}\nclient: {}\n")},
		{Name: "deployment.yaml", Data: []byte(deployment("", ""))},
		{Name: "traefik.yml", Data: []byte("entryPoints:\n  web:\n    address: \":80\"\nserversTransport: {}\n")},
		{Name: "alb.yaml", Data: []byte("upstream: {name: aws-alb, idle_timeout: 60s, request_timeout: 60s}\n")},
	}
	if fs := Lint(docs, WithEnviron(nil)); len(fs) != 0 {
		t.Fatalf("defaults disagree:%s", dump(fs))
	}
}

// A misspelt section is reported as the key it meant, not as a file of
// unknown kind.
func TestMisspeltSection(t *testing.T) {
	fs := Lint([]Document{{Name: "svc.yaml", Data: []byte("servr:\n  addr: \":1\"\n")}}, WithEnviron(nil))
	if len(fs) != 1 || fs[0].Rule != RuleUnknownKey || !strings.Contains(fs[0].Message, `did you mean "server"?`) {
		t.Fatalf("findings:%s", dump(fs))
	}
}

// The test a new user writes: harden's defaults behind Envoy's defaults.
// Envoy keeps idle upstream connections an hour and gives up on a route
// after 15s, so both client rules fire; written coherently, nothing does.
func TestDefaultsBehindEnvoy(t *testing.T) {
	envoy := "static_resources:\n  clusters:\n    - name: api\n      connect_timeout: 1s\n%s  listeners:\n    - filter_chains:\n        - filters:\n            - typed_config:\n                route_config:\n                  virtual_hosts:\n                    - routes:\n                        - match: {prefix: /}\n                          route: {cluster: api%s}\n"
	bad := Lint([]Document{{Name: "svc.yaml", Data: []byte("server: {}\n")}, {Name: "envoy.yaml", Data: fmt.Appendf(nil, envoy, "", "")}}, WithEnviron(nil))
	var rules []string
	for _, f := range bad {
		rules = append(rules, f.Rule)
	}
	if want := []string{RuleAttemptAboveHandler, RuleIdleAboveUpstream}; !slices.Equal(rules, want) {
		t.Fatalf("rules %v, want %v:%s", rules, want, dump(bad))
	}
	fixed := fmt.Appendf(nil, envoy, "      common_http_protocol_options: {idle_timeout: 60s}\n", ", timeout: 35s")
	if good := Lint([]Document{{Name: "svc.yaml", Data: []byte("server: {}\n")}, {Name: "envoy.yaml", Data: fixed}}, WithEnviron(nil)); len(good) != 0 {
		t.Fatalf("coherent files gave findings:%s", dump(good))
	}
}

// A Traefik dynamic file whose services use the default transport brings
// Traefik's defaults unless the static file, which sets that transport,
// is linted too.
func TestTraefikDefaultTransport(t *testing.T) {
	svc := Document{Name: "svc.yaml", Data: []byte("server:\n  timeouts: {idle: 60s}\n")}
	dynamic := Document{Name: "dynamic.yaml", Data: []byte("http:\n  services:\n    api:\n      loadBalancer:\n        servers: [{url: \"http://api:8080\"}]\n")}
	static := Document{Name: "static.yaml", Data: []byte("serversTransport:\n  forwardingTimeouts: {idleConnTimeout: 30s}\n")}
	if fs := Lint([]Document{svc, dynamic}, WithEnviron(nil)); len(fs) != 1 || fs[0].Rule != RuleIdleAboveUpstream {
		t.Fatalf("dynamic file alone:%s", dump(fs))
	}
	if fs := Lint([]Document{svc, dynamic, static}, WithEnviron(nil)); len(fs) != 0 {
		t.Fatalf("with the static file's 30s:%s", dump(fs))
	}
}

// The harden container is the one that declares the server's port, not
// the first one.
func TestServerContainer(t *testing.T) {
	k8s := `apiVersion: v1
kind: Pod
metadata: {name: api}
spec:
  containers:
    - name: proxy
      ports: [{containerPort: 15001}]
      readinessProbe: {periodSeconds: 60}
    - name: api
      ports: [{containerPort: 8080}]
      readinessProbe: {periodSeconds: 1, failureThreshold: 2}
`
	fs := Lint([]Document{{Name: "svc.yaml", Data: []byte("server: {}\n")}, {Name: "pod.yaml", Data: []byte(k8s)}}, WithEnviron(nil))
	if len(fs) != 0 {
		t.Fatalf("the sidecar's probe was judged:%s", dump(fs))
	}
}

func TestTLSFiles(t *testing.T) {
	doc := []Document{{Name: "svc.yaml", Data: []byte("tls: {cert_file: /nonexistent/c, key_file: /nonexistent/k}\n")}}
	if fs := Lint(doc, WithEnviron(nil)); len(fs) != 0 {
		t.Fatalf("unreadable TLS files reported by default:%s", dump(fs))
	}
	fs := Lint(doc, WithEnviron(nil), WithTLSFiles())
	if len(fs) == 0 || fs[0].Rule != "file" || fs[0].Key != "tls.cert_file" {
		t.Fatalf("WithTLSFiles:%s", dump(fs))
	}
}

// Lint loads each service config with the environment of WithEnviron.
func TestLintEnviron(t *testing.T) {
	doc := []Document{{Name: "svc.yaml", Data: []byte("server: {}\n")}}
	fs := Lint(doc, WithEnviron([]string{"HARDEN_SERVER_TIMEOUTS_IDLE=forever"}))
	if len(fs) != 1 || fs[0].Key != "server.timeouts.idle" {
		t.Fatalf("HARDEN_SERVER_TIMEOUTS_IDLE=forever:%s", dump(fs))
	}
}

// TestOptionsOnlyFitTheirFunction proves that an option a function would
// ignore does not compile there.
func TestOptionsOnlyFitTheirFunction(t *testing.T) {
	type fits struct{ load, lint bool }
	tests := []struct {
		name string
		opt  any
		want fits
	}{
		{"WithEnviron", WithEnviron(nil), fits{load: true, lint: true}},
		{"WithTLSFiles", WithTLSFiles(), fits{lint: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got fits
			_, got.load = tc.opt.(LoadOption) // Load, Parse
			_, got.lint = tc.opt.(LintOption)
			if got != tc.want {
				t.Errorf("fits %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzLint feeds arbitrary files of each kind to Lint beside a server
// config: it must never panic, and every finding names a rule, a
// severity and a file.
func FuzzLint(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Pod\nspec:\n  terminationGracePeriodSeconds: 5\n  containers:\n    - ports: [{containerPort: 8080}]\n      lifecycle: {preStop: {exec: {command: [sleep, '9']}}}\n      readinessProbe: {periodSeconds: 99, failureThreshold: 9}\n"))
	f.Add([]byte("serversTransport:\n  forwardingTimeouts: {idleConnTimeout: 1e30, responseHeaderTimeout: -5}\n"))
	f.Add([]byte("http:\n  services:\n    a: {loadBalancer: {}}\n  serversTransports:\n    b: {forwardingTimeouts: {idleConnTimeout: [1]}}\n"))
	f.Add([]byte("static_resources:\n  clusters:\n    - name: c\n      connect_timeout: 1s\n      common_http_protocol_options: {idle_timeout: {seconds: 9, nanos: -1}}\n"))
	f.Add([]byte("upstream: {idle_timeout: 1h, request_timeout: 1ns}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs := []Document{{Name: "svc.yaml", Data: []byte("server: {}\nclient: {}\n")}, {Name: "fuzz.yaml", Data: data}}
		for _, fd := range Lint(docs, WithEnviron(nil)) {
			if fd.Rule == "" || fd.Severity == "" || fd.File == "" || fd.Message == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
		}
	})
}

// Several replicas with harden's default connection age, or one replica
// with the age off, give no connection-age-replicas finding.
func TestConnectionAgeReplicasQuiet(t *testing.T) {
	three := strings.Replace(deployment("", ""), "spec:\n", "spec:\n  replicas: 3\n", 1)
	for _, docs := range [][]Document{
		{{Name: "svc.yaml", Data: []byte("server: {}\n")}, {Name: "deployment.yaml", Data: []byte(three)}},
		{{Name: "svc.yaml", Data: []byte("server:\n  limits: {max_connection_age: -1s}\n")}, {Name: "deployment.yaml", Data: []byte(deployment("", ""))}},
	} {
		if fs := Lint(docs, WithEnviron(nil)); len(fs) != 0 {
			t.Errorf("findings:%s", dump(fs))
		}
	}
}
