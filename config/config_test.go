package config

import (
	"testing"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/internal/configtest"
	"github.com/harden-go/harden/tlsx"
)

func TestServiceRoundTrip(t *testing.T) {
	srv, cli, tc := httpx.DefaultServerConfig(), httpx.DefaultClientConfig(), tlsx.DefaultServerConfig("tls.crt", "tls.key")
	configtest.RoundTrip(t, Service{Server: &srv, TLS: &tc, Client: &cli, Upstream: &Upstream{Name: "aws-alb", IdleTimeout: 60 * harden.Second, RequestTimeout: -1}})
}

// A JSON service file, read by the same strict loader as YAML, takes
// durations, sizes and rates in the same units.
func TestParseJSON(t *testing.T) {
	f, err := Parse("svc.json", []byte(`{"server": {"timeouts": {"handler": "20s"}, "limits": {"max_body_bytes": "4MiB", "min_body_rate": "205KiB/s"}}}`), WithEnviron(nil))
	if err != nil {
		t.Fatal(err)
	}
	l := f.Service.Server.Limits
	if f.Service.Server.Timeouts.Handler != 20*harden.Second || l.MaxBodyBytes != 4*harden.MiB || l.MinBodyRate != harden.Rate(205*harden.KiB) {
		t.Errorf("decoded %+v", *f.Service.Server)
	}
}
