package tlsx

import (
	"crypto/tls"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/defaults"
)

// ServerConfig is everything about a TLS server that can be written in a
// config file, under the key "tls". The zero value of every field means
// harden's default, documented on the field. Build a reloading
// [*tls.Config] from it with [NewServerSource]; [ServerConfig.Validate]
// reports every problem at once.
type ServerConfig struct {
	// CertFile is the PEM file of the server's certificate, followed by
	// the intermediates that issued it, nearest first, so that clients
	// that trust only the root can build the chain. Required.
	CertFile string `yaml:"cert_file" json:"cert_file"`

	// KeyFile is the PEM file of the certificate's private key (PKCS#1,
	// PKCS#8 or SEC 1). Required.
	KeyFile string `yaml:"key_file" json:"key_file"`

	// ClientCAFile is the PEM file of the CAs that issue client
	// certificates. Setting it turns on mTLS: client certificates are
	// then required and verified against these CAs (ClientAuth zero
	// means "require-and-verify"). During a CA rotation the file holds
	// both the old and the new CA. Zero: no client certificates.
	ClientCAFile string `yaml:"client_ca_file" json:"client_ca_file"`

	// ClientAuth is the client-certificate policy: "none", "request",
	// "require-any", "verify-if-given" or "require-and-verify", named
	// after crypto/tls's [tls.ClientAuthType] values. Zero:
	// "require-and-verify" when ClientCAFile is set, "none" otherwise.
	// "request" and "require-any" never verify the certificate, so they
	// are refused together with ClientCAFile (rule
	// client-auth-ignores-ca); the verifying modes need ClientCAFile
	// (rule client-ca-required), because crypto/tls would otherwise
	// verify clients against the system roots, where any public CA's
	// customer would pass.
	ClientAuth string `yaml:"client_auth" json:"client_auth"`

	// AllowedClients restricts which verified clients may connect, by
	// the names in their certificates. Zero: every client whose
	// certificate chains to ClientCAFile.
	AllowedClients Identities `yaml:"allowed_clients" json:"allowed_clients"`

	// MinVersion is the lowest TLS version accepted, "1.2" or "1.3".
	// Zero: "1.2". TLS 1.0 and 1.1 are refused (rule min-version): RFC
	// 8996 deprecates them, and PCI DSS and NIST SP 800-52r2 forbid
	// them.
	MinVersion string `yaml:"min_version" json:"min_version"`

	// ReloadInterval is how often the files are checked for new
	// content. Zero: 10s, well below the minute or more that a
	// Kubernetes secret volume takes to update, so a rotated certificate
	// is served soon after it lands. Negative: never poll; only
	// [ServerSource.Reload] reloads.
	ReloadInterval harden.Duration `yaml:"reload_interval" json:"reload_interval"`

	// TicketKeysFile is a file of session ticket keys shared by the
	// replicas of a service, so a client resumes its TLS session on
	// whichever replica it reaches next instead of paying a full
	// handshake. Each line holds one key, the standard base64 encoding of
	// 32 random bytes (`openssl rand -base64 32`), oldest first and
	// newest last; blank lines and lines starting with "#" are skipped
	// (rule ticket-keys checks every line, and that there is at least
	// one key). The file is reloaded with the certificate.
	//
	// Rotation is phased so replicas never refuse each other's tickets:
	// a key added to the file only decrypts at first, and starts to
	// encrypt new tickets once this server has held it for one
	// reload_interval (10s when reload_interval is zero or negative), by
	// when every replica polling the file has loaded it. Meanwhile the
	// newest key held that long encrypts; when none has been, the oldest
	// key of the file does. A key removed from the file stops
	// decrypting at the next reload, and clients holding tickets it
	// encrypted fall back to a full handshake. To rotate: append a new
	// key, and remove the oldest once tickets encrypted with it have
	// expired (crypto/tls accepts tickets for 7 days at most), keeping
	// two or three keys in the file. [ServerSource.State] reports the
	// number of keys and which one encrypts.
	//
	// The keys let anyone who holds them decrypt recorded TLS 1.2
	// traffic and TLS 1.3 resumed sessions: keep the file as secret as
	// the private key and rotate it at least daily. Zero: crypto/tls's
	// own keys, random per process and rotated daily, so sessions
	// resume only on the replica that issued them.
	TicketKeysFile string `yaml:"ticket_keys_file" json:"ticket_keys_file"`
}

// ClientConfig is everything about a TLS client that can be written in a
// config file, under the key "tls". The zero value of every field means
// harden's default, documented on the field. Build a reloading
// [*tls.Config] from it with [NewClientSource].
type ClientConfig struct {
	// CAFile is the PEM file of the CAs that issue server certificates.
	// During a CA rotation it holds both the old and the new CA. Zero:
	// the system roots.
	CAFile string `yaml:"ca_file" json:"ca_file"`

	// CertFile and KeyFile are the client certificate (followed by its
	// intermediates) and its key, for mTLS. Set both or neither. Zero: no
	// client certificate.
	CertFile string `yaml:"cert_file" json:"cert_file"`
	KeyFile  string `yaml:"key_file" json:"key_file"`

	// ServerName is the name checked against the server's certificate
	// and sent as SNI. Zero: the host the client dials, as crypto/tls
	// and net/http derive it.
	ServerName string `yaml:"server_name" json:"server_name"`

	// AllowedServers restricts which verified servers the client talks
	// to, by the names in their certificates, in addition to the
	// hostname check. Zero: any server whose certificate chains to
	// CAFile and matches the host name.
	AllowedServers Identities `yaml:"allowed_servers" json:"allowed_servers"`

	// MinVersion is as [ServerConfig.MinVersion]. Zero: "1.2".
	MinVersion string `yaml:"min_version" json:"min_version"`

	// ReloadInterval is as [ServerConfig.ReloadInterval]. Zero: 10s.
	// Negative: only [ClientSource.Reload] reloads.
	ReloadInterval harden.Duration `yaml:"reload_interval" json:"reload_interval"`

	// InsecureSkipVerify accepts any server certificate, which lets
	// anyone on the path read and change the traffic. It is refused
	// unless InsecureSkipVerifyReason says why (rule tls-verify), and
	// the reason is logged at warning level when the client is built.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify" json:"insecure_skip_verify"`

	// InsecureSkipVerifyReason is the explicit opt-out that
	// InsecureSkipVerify needs, such as "local development against a
	// self-signed proxy".
	InsecureSkipVerifyReason string `yaml:"insecure_skip_verify_reason" json:"insecure_skip_verify_reason"`
}

// Identities is an allow-list of peer identities, matched against the
// subject alternative names of the peer's verified leaf certificate; a
// peer matching any entry is allowed. An empty Identities allows every
// verified peer. The subject's common name is never consulted: RFC 6125
// and Go 1.15 retired it as an identity.
type Identities struct {
	// DNS lists DNS names, matched exactly and without regard to case
	// against the certificate's DNS SANs. Wildcards are not expanded.
	DNS []string `yaml:"dns" json:"dns"`

	// URI lists URIs, such as SPIFFE IDs
	// ("spiffe://example.org/ns/prod/sa/api"), matched exactly against
	// the certificate's URI SANs.
	URI []string `yaml:"uri" json:"uri"`

	// URIPrefixes lists URI prefixes ("spiffe://example.org/ns/prod/");
	// a URI SAN that starts with one and continues with at least one
	// path segment matches, if it has the shape of a SPIFFE ID: no
	// userinfo, port, query or fragment, and no empty, dot or
	// percent-encoded path segment (see the package doc). Each prefix
	// must end with "/" and have that shape itself (rule identity), so
	// "spiffe://example.org/ns/prod" cannot admit
	// "spiffe://example.org/ns/prod-debug/...".
	URIPrefixes []string `yaml:"uri_prefixes" json:"uri_prefixes"`
}

// empty reports whether ids allows every peer.
func (ids Identities) empty() bool {
	return len(ids.DNS) == 0 && len(ids.URI) == 0 && len(ids.URIPrefixes) == 0
}

// Client authentication modes of [ServerConfig.ClientAuth].
const (
	ClientAuthNone             = "none"
	ClientAuthRequest          = "request"
	ClientAuthRequireAny       = "require-any"
	ClientAuthVerifyIfGiven    = "verify-if-given"
	ClientAuthRequireAndVerify = "require-and-verify"
)

var clientAuthTypes = map[string]tls.ClientAuthType{
	ClientAuthNone:             tls.NoClientCert,
	ClientAuthRequest:          tls.RequestClientCert,
	ClientAuthRequireAny:       tls.RequireAnyClientCert,
	ClientAuthVerifyIfGiven:    tls.VerifyClientCertIfGiven,
	ClientAuthRequireAndVerify: tls.RequireAndVerifyClientCert,
}

// DefaultReloadInterval is how often files are polled when
// ReloadInterval is zero.
const DefaultReloadInterval = 10 * harden.Second

// defaultMinVersion is MinVersion when empty (see [ServerConfig.MinVersion]).
const defaultMinVersion = "1.2"

var tlsVersions = map[string]uint16{
	"1.0": tls.VersionTLS10,
	"1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13,
}

// DefaultServerConfig returns the defaults of a server with the given
// certificate and key files. ClientAuth is left empty: it is derived from
// ClientCAFile when the config is used, so setting ClientCAFile on the
// result turns on mTLS.
func DefaultServerConfig(certFile, keyFile string) ServerConfig {
	return ServerConfig{CertFile: certFile, KeyFile: keyFile}.withFixedDefaults()
}

// DefaultClientConfig returns the defaults of a client, with every
// derived field spelled out: system roots, TLS 1.2 or later.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{}.withDefaults()
}

// DefaultServerConfig's fields, without the derived ClientAuth.
func (c ServerConfig) withFixedDefaults() ServerConfig {
	defaults.Set(&c.MinVersion, defaultMinVersion)
	defaults.Set(&c.ReloadInterval, DefaultReloadInterval)
	return c
}

// withDefaults is c as it is used: every default, ClientAuth derived
// from ClientCAFile when empty.
func (c ServerConfig) withDefaults() ServerConfig {
	c = c.withFixedDefaults()
	if c.ClientAuth == "" {
		c.ClientAuth = ClientAuthNone
		if c.ClientCAFile != "" {
			c.ClientAuth = ClientAuthRequireAndVerify
		}
	}
	return c
}

func (c ClientConfig) withDefaults() ClientConfig {
	defaults.Set(&c.MinVersion, defaultMinVersion)
	defaults.Set(&c.ReloadInterval, DefaultReloadInterval)
	return c
}

// cipherSuites are the TLS 1.2 suites offered and accepted: crypto/tls's
// defaults minus the four ECDHE CBC suites with HMAC-SHA1, which are
// open to padding-oracle attacks such as Lucky Thirteen and give no
// forward-secret AEAD; what remains is Mozilla's "intermediate"
// recommendation. TLS 1.3 suites are not configurable in crypto/tls and
// are all AEAD.
func cipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// serverNextProtos are the ALPN protocols a server offers: HTTP/2 first,
// as net/http's own TLS setup does, so a server handed to
// http.Server.ServeTLS or to a plain tls.Listen negotiates h2 with
// browsers and Go clients alike (RFC 7301, RFC 9113 section 3.2).
func serverNextProtos() []string { return []string{"h2", "http/1.1"} }

// baseConfig returns the settings every harden tls.Config shares.
// CurvePreferences is deliberately left nil: crypto/tls's default list
// puts the hybrid post-quantum X25519MLKEM768 first (Go 1.24), and any
// explicit list would freeze it out of future improvements.
func baseConfig(minVersion uint16) *tls.Config {
	return &tls.Config{
		MinVersion:   minVersion,
		CipherSuites: cipherSuites(),
	}
}
