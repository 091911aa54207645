package config

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/harden-go/harden/httpx"
)

func settingsOf(t *testing.T, yaml string, environ ...string) map[string]Setting {
	t.Helper()
	f, err := Parse("svc.yaml", []byte(yaml), WithEnviron(environ))
	if err != nil {
		t.Fatal(err)
	}
	list, err := Explain(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Setting{}
	for _, s := range list {
		out[s.Key] = s
	}
	return out
}

func TestExplainOrigins(t *testing.T) {
	got := settingsOf(t, "server:\n  timeouts:\n    handler: 10s\n    write: 0s\n  limits:\n    max_connections: 1000\ntls:\n  cert_file: /c\n  key_file: /k\n  client_ca_file: /ca\n",
		"HARDEN_SERVER_ADDR=:9000")
	want := []Setting{
		{"server.addr", ":9000", "$HARDEN_SERVER_ADDR"},
		{"server.timeouts.handler", "10s", "svc.yaml:3:5"},
		{"server.timeouts.write", "15s", "derived: handler 10s + 5s (0s written at svc.yaml:4:5)"},
		{"server.timeouts.read_header", "5s", "default"},
		{"server.limits.min_body_rate", "103KiB/s", "derived: max_body_bytes 1MiB / handler 10s, rounded up to a whole KiB/s"},
		{"server.limits.max_connections", "1000", "svc.yaml:6:5"},
		{"server.limits.max_connections_per_ip", "250", "derived: a quarter of max_connections 1000"},
		{"tls.client_auth", "require-and-verify", "derived: require-and-verify, as client_ca_file is set"},
		{"tls.min_version", "1.2", "default"},
		{"tls.reload_interval", "10s", "default"},
		{"tls.allowed_clients.uri_prefixes", "[]", "default"},
	}
	for _, w := range want {
		if got[w.Key] != w {
			t.Errorf("%s = %+v, want %+v", w.Key, got[w.Key], w)
		}
	}
}

// Explain's values are those the server runs with: every leaf of the
// effective config is listed, with httpx's value.
func TestExplainMatchesServer(t *testing.T) {
	yaml := "server:\n  timeouts: {handler: 45s}\n  limits: {max_body_bytes: 8MiB, max_connections: 4096}\n"
	got := settingsOf(t, yaml)
	f, _ := Parse("svc.yaml", []byte(yaml), WithEnviron(nil))
	srv, err := httpx.NewServer(*f.Service.Server, http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Config()
	for key, want := range map[string]string{
		"server.timeouts.write":                seconds(c.Timeouts.Write),
		"server.limits.min_body_rate":          c.Limits.MinBodyRate.String(),
		"server.limits.max_connections_per_ip": "1024",
		"server.http2.max_concurrent_streams":  "100",
		"server.admin.addr":                    c.Admin.Addr,
	} {
		if got[key].Value != want {
			t.Errorf("%s = %q, want %q", key, got[key].Value, want)
		}
	}
	for _, key := range leaves(reflect.TypeFor[httpx.ServerConfig](), "server") {
		if _, ok := got[key]; !ok {
			t.Errorf("no setting for %s: want one per key of the server section", key)
		}
	}
}

func TestExplainInvalidServer(t *testing.T) {
	f, err := Parse("svc.yaml", []byte("server:\n  timeouts: {handler: 30s, write: 30s}\n"), WithEnviron(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Explain(f)
	if err == nil || !strings.Contains(err.Error(), "write-after-handler") {
		t.Fatalf("Explain = %v, want the server's problems", err)
	}
}

// The client's effective values are those of the transport httpx builds.
func TestExplainClientMatchesTransport(t *testing.T) {
	for _, yaml := range []string{
		"client: {}\n",
		"client:\n  timeouts: {total: 20s}\n  pool: {max_idle_per_host: 16}\n",
		"client:\n  timeouts: {response_header: 45s, idle: 30s}\n",
	} {
		got := settingsOf(t, yaml)
		f, _ := Parse("svc.yaml", []byte(yaml), WithEnviron(nil))
		tr, err := httpx.NewTransport(*f.Service.Client)
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{
			"client.timeouts.response_header": seconds(tr.ResponseHeaderTimeout),
			"client.timeouts.idle":            seconds(tr.IdleConnTimeout),
			"client.timeouts.tls_handshake":   seconds(tr.TLSHandshakeTimeout),
			"client.pool.max_idle":            fmt.Sprint(tr.MaxIdleConns),
			"client.pool.max_idle_per_host":   fmt.Sprint(tr.MaxIdleConnsPerHost),
		} {
			if got[key].Value != want {
				t.Errorf("%s: %s = %q, want the transport's %q", yaml, key, got[key].Value, want)
			}
		}
		tr.CloseIdleConnections()
	}
	if o := settingsOf(t, "client:\n  timeouts: {total: 20s}\n")["client.timeouts.response_header"].Origin; o != "derived: timeouts.total 20s, shorter than the default server's write timeout 35s" {
		t.Errorf("origin %q", o)
	}
}
