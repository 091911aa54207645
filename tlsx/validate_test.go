package tlsx_test

import (
	"slices"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

func TestServerConfigValidate(t *testing.T) {
	ca := tlstest.NewCA(t)
	mid := ca.Intermediate(t)
	other := ca.Intermediate(t)
	srv := ca.Server(t)
	cli := ca.Client(t)
	midSrv := mid.Server(t)
	notCARoot := tlstest.NewCA(t, tlstest.NotCA)
	valid := tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile}
	with := func(f func(*tlsx.ServerConfig)) tlsx.ServerConfig {
		c := valid
		f(&c)
		return c
	}
	pair := func(c *tlstest.Cert) func(*tlsx.ServerConfig) {
		return func(s *tlsx.ServerConfig) { s.CertFile, s.KeyFile = c.CertFile, c.KeyFile }
	}
	tests := []struct {
		name string
		cfg  tlsx.ServerConfig
		want []string
	}{
		{"valid", valid, nil},
		{"valid mTLS", with(func(c *tlsx.ServerConfig) {
			c.ClientCAFile = ca.CertFile
			c.AllowedClients = tlsx.Identities{URIPrefixes: []string{"spiffe://example.org/ns/a/"}}
		}), nil},
		{"valid TLS 1.3 with intermediate", with(func(c *tlsx.ServerConfig) {
			pair(midSrv)(c)
			c.MinVersion = "1.3"
		}), nil},
		{"no files", tlsx.ServerConfig{}, []string{"tls.cert_file required", "tls.key_file required"}},
		{"missing file", with(func(c *tlsx.ServerConfig) { c.KeyFile += ".missing" }), []string{"tls.key_file file"}},
		{"key is not a certificate", with(func(c *tlsx.ServerConfig) { c.CertFile = srv.KeyFile }), []string{"tls.cert_file file"}},
		{"require-any ignores the CA file", with(func(c *tlsx.ServerConfig) {
			c.ClientCAFile, c.ClientAuth = ca.CertFile, tlsx.ClientAuthRequireAny
		}), []string{"tls.client_auth client-auth-ignores-ca"}},
		{"request ignores the CA file", with(func(c *tlsx.ServerConfig) {
			c.ClientCAFile, c.ClientAuth = ca.CertFile, tlsx.ClientAuthRequest
		}), []string{"tls.client_auth client-auth-ignores-ca"}},
		{"verify without CA file", with(func(c *tlsx.ServerConfig) { c.ClientAuth = tlsx.ClientAuthRequireAndVerify }),
			[]string{"tls.client_ca_file client-ca-required"}},
		{"allow-list without CA file", with(func(c *tlsx.ServerConfig) { c.AllowedClients.DNS = []string{"a.example"} }),
			[]string{"tls.allowed_clients client-ca-required"}},
		{"unknown client auth", with(func(c *tlsx.ServerConfig) { c.ClientAuth = "mutual" }), []string{"tls.client_auth client-auth"}},
		{"CA file holds a leaf", with(func(c *tlsx.ServerConfig) { c.ClientCAFile = cli.CertFile }), []string{"tls.client_ca_file ca-not-ca"}},
		{"CA without CA:TRUE", with(func(c *tlsx.ServerConfig) { c.ClientCAFile = notCARoot.CertFile }), []string{"tls.client_ca_file ca-not-ca"}},
		{"client certificate served", with(pair(cli)), []string{"tls.cert_file key-usage"}},
		{"wrong usage", with(pair(ca.Issuing(tlstest.WrongUsage).Server(t))), []string{"tls.cert_file key-usage"}},
		{"wrong key", with(pair(ca.Issuing(tlstest.WrongKey).Server(t))), []string{"tls.key_file key-pair"}},
		{"key of another certificate", with(func(c *tlsx.ServerConfig) { c.KeyFile = midSrv.KeyFile }), []string{"tls.key_file key-pair"}},
		{"expired", with(pair(ca.Issuing(tlstest.Expired).Server(t))), []string{"tls.cert_file validity"}},
		{"not yet valid", with(pair(ca.Issuing(tlstest.NotYetValid).Server(t))), []string{"tls.cert_file validity"}},
		{"chain with the wrong intermediate", with(func(c *tlsx.ServerConfig) {
			c.CertFile = concat(t, leafOnly(t, midSrv), other.CertFile)
			c.KeyFile = midSrv.KeyFile
		}), []string{"tls.cert_file chain"}},
		{"TLS 1.1", with(func(c *tlsx.ServerConfig) { c.MinVersion = "1.1" }), []string{"tls.min_version min-version"}},
		{"TLS 1.0", with(func(c *tlsx.ServerConfig) { c.MinVersion = "1.0" }), []string{"tls.min_version min-version"}},
		{"unknown version", with(func(c *tlsx.ServerConfig) { c.MinVersion = "TLS1.2" }), []string{"tls.min_version min-version"}},
		{"malformed identities", with(func(c *tlsx.ServerConfig) {
			c.ClientCAFile = ca.CertFile
			c.AllowedClients = tlsx.Identities{
				DNS:         []string{"*.example.org"},
				URI:         []string{"not a uri"},
				URIPrefixes: []string{"spiffe://example.org/ns/prod"},
			}
		}), []string{
			"tls.allowed_clients.dns[0] identity",
			"tls.allowed_clients.uri[0] identity",
			"tls.allowed_clients.uri_prefixes[0] identity",
		}},
		{"URI prefixes no SPIFFE ID can match", with(func(c *tlsx.ServerConfig) {
			c.ClientCAFile = ca.CertFile
			c.AllowedClients = tlsx.Identities{URIPrefixes: []string{
				"spiffe://example.org/ns/prod/../",
				"spiffe://example.org//",
				"spiffe://example.org/ns%2Fprod/",
				"spiffe://example.org/ns/prod?x=/",
				"spiffe://admin@example.org/ns/",
				"spiffe://example.org:443/ns/",
			}}
		}), []string{
			"tls.allowed_clients.uri_prefixes[0] identity",
			"tls.allowed_clients.uri_prefixes[1] identity",
			"tls.allowed_clients.uri_prefixes[2] identity",
			"tls.allowed_clients.uri_prefixes[3] identity",
			"tls.allowed_clients.uri_prefixes[4] identity",
			"tls.allowed_clients.uri_prefixes[5] identity",
		}},
		{"every problem at once", tlsx.ServerConfig{
			CertFile: cli.CertFile, KeyFile: srv.KeyFile, ClientCAFile: cli.CertFile,
			ClientAuth: tlsx.ClientAuthRequireAny, MinVersion: "1.1",
		}, []string{
			"tls.cert_file key-usage",
			"tls.client_auth client-auth-ignores-ca",
			"tls.client_ca_file ca-not-ca",
			"tls.key_file key-pair",
			"tls.min_version min-version",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rules(tc.cfg.Validate())
			if !slices.Equal(got, tc.want) {
				t.Errorf("Validate() = %q, want %q (error: %v)", got, tc.want, tc.cfg.Validate())
			}
		})
	}
}

func TestClientConfigValidate(t *testing.T) {
	ca := tlstest.NewCA(t)
	cli := ca.Client(t)
	srv := ca.Server(t)
	tests := []struct {
		name string
		cfg  tlsx.ClientConfig
		want []string
	}{
		{"system roots", tlsx.ClientConfig{}, nil},
		{"valid mTLS", tlsx.ClientConfig{CAFile: ca.CertFile, CertFile: cli.CertFile, KeyFile: cli.KeyFile}, nil},
		{"skip verify without reason", tlsx.ClientConfig{InsecureSkipVerify: true}, []string{"tls.insecure_skip_verify tls-verify"}},
		{"skip verify with a blank reason", tlsx.ClientConfig{InsecureSkipVerify: true, InsecureSkipVerifyReason: "  "},
			[]string{"tls.insecure_skip_verify tls-verify"}},
		{"skip verify with a reason", tlsx.ClientConfig{InsecureSkipVerify: true, InsecureSkipVerifyReason: "local proxy"}, nil},
		{"skip verify with an allow-list", tlsx.ClientConfig{
			InsecureSkipVerify: true, InsecureSkipVerifyReason: "local proxy",
			AllowedServers: tlsx.Identities{DNS: []string{"api.example.org"}},
		}, []string{"tls.allowed_servers tls-verify"}},
		{"certificate without key", tlsx.ClientConfig{CertFile: cli.CertFile}, []string{"tls.key_file required"}},
		{"key without certificate", tlsx.ClientConfig{KeyFile: cli.KeyFile}, []string{"tls.cert_file required"}},
		{"server certificate as client", tlsx.ClientConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile}, []string{"tls.cert_file key-usage"}},
		{"wrong usage", func() tlsx.ClientConfig {
			c := ca.Issuing(tlstest.WrongUsage).Client(t)
			return tlsx.ClientConfig{CertFile: c.CertFile, KeyFile: c.KeyFile}
		}(), []string{"tls.cert_file key-usage"}},
		{"expired", func() tlsx.ClientConfig {
			c := ca.Issuing(tlstest.Expired).Client(t)
			return tlsx.ClientConfig{CertFile: c.CertFile, KeyFile: c.KeyFile}
		}(), []string{"tls.cert_file validity"}},
		{"wrong key", func() tlsx.ClientConfig {
			c := ca.Issuing(tlstest.WrongKey).Client(t)
			return tlsx.ClientConfig{CertFile: c.CertFile, KeyFile: c.KeyFile}
		}(), []string{"tls.key_file key-pair"}},
		{"CA file holds a leaf", tlsx.ClientConfig{CAFile: srv.CertFile}, []string{"tls.ca_file ca-not-ca"}},
		{"TLS 1.1", tlsx.ClientConfig{MinVersion: "1.1"}, []string{"tls.min_version min-version"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rules(tc.cfg.Validate())
			if !slices.Equal(got, tc.want) {
				t.Errorf("Validate() = %q, want %q (error: %v)", got, tc.want, tc.cfg.Validate())
			}
		})
	}
}

// Constructors refuse what Validate reports, and the skipped
// verification opt-out is logged.
func TestConstructorsRefuseInvalid(t *testing.T) {
	ca := tlstest.NewCA(t)
	expired := ca.Issuing(tlstest.Expired).Server(t)
	if _, err := tlsx.NewServerSource(t.Context(), tlsx.ServerConfig{CertFile: expired.CertFile, KeyFile: expired.KeyFile}); !slices.Equal(rules(err), []string{"tls.cert_file validity"}) {
		t.Errorf("NewServerSource(expired) = %v", err)
	}
	if _, err := tlsx.NewClientSource(t.Context(), tlsx.ClientConfig{InsecureSkipVerify: true}); !slices.Equal(rules(err), []string{"tls.insecure_skip_verify tls-verify"}) {
		t.Errorf("NewClientSource(insecure) = %v", err)
	}

	core, logs := observer.New(zap.WarnLevel)
	src := newClient(t, tlsx.ClientConfig{InsecureSkipVerify: true, InsecureSkipVerifyReason: "local proxy"}, tlsx.WithLogger(zap.New(core)))
	ok(t, handshake(t, tlstest.NewCA(t).ServerConfig(t, nil), src.TLSConfig())) // a server of an unknown CA
	entries := logs.FilterField(zap.String("reason", "local proxy")).All()
	if len(entries) != 1 {
		t.Errorf("the opt-out was logged %d times, want once: %v", len(entries), logs.All())
	}
}
