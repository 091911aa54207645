package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/harden-go/harden"
)

// Validate reports every problem of c at once, as *harden.ConfigError values
// joined with errors.Join, after zero fields take their defaults. It
// reads the files c names and checks what [NewServerSource] checks
// before serving them: the certificate is valid now, has the serverAuth
// usage, matches its key and is followed by its issuers in order; every
// certificate of ClientCAFile is a CA. A nil result means
// NewServerSource will accept c as long as the files do not change.
// Fields are named as in a config file under the key "tls".
func (c ServerConfig) Validate() error {
	return c.validate(time.Now())
}

func (c ServerConfig) validate(now time.Time) error {
	c = c.withDefaults()
	p := &problems{Prefix: "tls."}
	if c.CertFile == "" {
		p.Add("cert_file", harden.RuleRequired, "is empty; a TLS server needs a certificate file")
	}
	if c.KeyFile == "" {
		p.Add("key_file", harden.RuleRequired, "is empty; a TLS server needs the certificate's key file")
	}
	mode, ok := clientAuthTypes[c.ClientAuth]
	switch {
	case !ok:
		p.Add("client_auth", RuleClientAuth, "%q is not one of none, request, require-any, verify-if-given, require-and-verify", c.ClientAuth)
	case c.ClientCAFile != "" && (c.ClientAuth == ClientAuthRequest || c.ClientAuth == ClientAuthRequireAny || c.ClientAuth == ClientAuthNone):
		p.Add("client_auth", RuleClientAuthIgnoresCA,
			"%q never verifies client certificates, so client_ca_file is ignored and any self-made certificate is accepted; use require-and-verify (or leave client_auth empty)", c.ClientAuth)
	case c.ClientCAFile == "" && mode >= tls.VerifyClientCertIfGiven:
		p.Add("client_ca_file", RuleClientCARequired,
			"is empty with client_auth %q, so client certificates would be verified against the system roots, where any public CA's customer passes; name the CA file of your client PKI", c.ClientAuth)
	}
	if !c.AllowedClients.empty() && c.ClientCAFile == "" {
		p.Add("allowed_clients", RuleClientCARequired,
			"is set without client_ca_file, so no client certificate is verified and the names in it prove nothing; set client_ca_file")
	}
	c.AllowedClients.validate(p, "allowed_clients")
	validateMinVersion(p, c.MinVersion)
	return joinFlat(p.Err(), c.spec().loadErr(now))
}

// Validate reports every problem of c at once, as [ServerConfig.Validate]
// does for a server: the client certificate (when set) must be valid
// now, carry the clientAuth usage and match its key; every certificate of
// CAFile must be a CA; InsecureSkipVerify needs a reason (rule
// tls-verify).
func (c ClientConfig) Validate() error {
	return c.validate(time.Now())
}

func (c ClientConfig) validate(now time.Time) error {
	c = c.withDefaults()
	p := &problems{Prefix: "tls."}
	if (c.CertFile == "") != (c.KeyFile == "") {
		field, other := "key_file", "cert_file"
		if c.CertFile == "" {
			field, other = "cert_file", "key_file"
		}
		p.Add(field, harden.RuleRequired, "is empty while %s is set; a client certificate needs both files", other)
	}
	if c.InsecureSkipVerify {
		if strings.TrimSpace(c.InsecureSkipVerifyReason) == "" {
			p.Add("insecure_skip_verify", RuleTLSVerify,
				"accepts any server certificate, so anyone on the path can read and change the traffic; set ca_file to the server's CA instead, or say why in insecure_skip_verify_reason")
		}
		if !c.AllowedServers.empty() {
			p.Add("allowed_servers", RuleTLSVerify,
				"cannot be enforced with insecure_skip_verify: an unverified certificate can claim any name; remove insecure_skip_verify and set ca_file")
		}
	}
	c.AllowedServers.validate(p, "allowed_servers")
	validateMinVersion(p, c.MinVersion)
	return joinFlat(p.Err(), c.spec().loadErr(now))
}

func validateMinVersion(p *problems, v string) {
	ver, ok := tlsVersions[v]
	switch {
	case !ok:
		p.Add("min_version", RuleMinVersion, "%q is not a TLS version; write \"1.2\" or \"1.3\"", v)
	case ver < tlsVersions["1.2"]:
		p.Add("min_version", RuleMinVersion,
			"TLS %s is deprecated by RFC 8996 and forbidden by PCI DSS and NIST SP 800-52r2; use \"1.2\" or \"1.3\"", v)
	}
}

func (ids Identities) validate(p *problems, field string) {
	for i, d := range ids.DNS {
		if d == "" || strings.ContainsAny(d, " /:*") {
			p.Add(fmt.Sprintf("%s.dns[%d]", field, i), RuleIdentity,
				"%q is not a DNS name; write the exact name of the peer's certificate (wildcards are not expanded)", d)
		}
	}
	for i, u := range ids.URI {
		if pu, err := url.Parse(u); err != nil || pu.Scheme == "" {
			p.Add(fmt.Sprintf("%s.uri[%d]", field, i), RuleIdentity,
				"%q is not an absolute URI; write a SPIFFE ID such as spiffe://example.org/ns/prod/sa/api", u)
		}
	}
	for i, u := range ids.URIPrefixes {
		pu, err := url.Parse(u)
		switch {
		case err != nil || pu.Scheme == "":
			p.Add(fmt.Sprintf("%s.uri_prefixes[%d]", field, i), RuleIdentity,
				"%q is not an absolute URI; write a prefix such as spiffe://example.org/ns/prod/", u)
		case !strings.HasSuffix(u, "/"):
			p.Add(fmt.Sprintf("%s.uri_prefixes[%d]", field, i), RuleIdentity,
				"%q does not end with \"/\", so it also admits %q; add the slash", u, u+"-other/")
		case !prefixShaped(u):
			p.Add(fmt.Sprintf("%s.uri_prefixes[%d]", field, i), RuleIdentity,
				"%q has userinfo, a port, a query, a fragment, percent-encoding or an empty or dot path segment, which no SPIFFE ID has, so it matches nothing; write a prefix such as spiffe://example.org/ns/prod/", u)
		}
	}
}

// prefixShaped reports whether the URI prefix u, which ends with "/",
// has the shape of a SPIFFE ID once that slash is removed.
func prefixShaped(u string) bool {
	pu, err := url.Parse(strings.TrimSuffix(u, "/"))
	return err == nil && spiffeShaped(pu)
}

func (c ServerConfig) spec() fileSpec {
	return fileSpec{
		prefix: "tls.", certFile: c.CertFile, keyFile: c.KeyFile, caFile: c.ClientCAFile,
		certField: "cert_file", keyField: "key_file", caField: "client_ca_file",
		ticketFile: c.TicketKeysFile, ticketField: "ticket_keys_file",
		usage: x509.ExtKeyUsageServerAuth, role: "server",
	}
}

func (c ClientConfig) spec() fileSpec {
	return fileSpec{
		prefix: "tls.", certFile: c.CertFile, keyFile: c.KeyFile, caFile: c.CAFile,
		certField: "cert_file", keyField: "key_file", caField: "ca_file",
		usage: x509.ExtKeyUsageClientAuth, role: "client",
	}
}

func (spec fileSpec) loadErr(now time.Time) error {
	_, _, err := spec.load(now, nil)
	return err
}
