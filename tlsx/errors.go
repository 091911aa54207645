package tlsx

import (
	"errors"

	"github.com/harden-go/harden/internal/configerr"
)

// Rule names of Validate problems, reported in [harden.ConfigError.Rule]
// besides [harden.RuleRange] and [harden.RuleRequired]. They are stable
// across versions.
const (
	// RuleFile: a file cannot be read or holds no usable PEM data.
	RuleFile = "file"
	// RuleClientAuth: client_auth names no known mode.
	RuleClientAuth = "client-auth"
	// RuleClientAuthIgnoresCA: client_ca_file is set with a client_auth
	// mode that never verifies against it.
	RuleClientAuthIgnoresCA = "client-auth-ignores-ca"
	// RuleClientCARequired: client certificates are verified, or an
	// allow-list is set, without client_ca_file.
	RuleClientCARequired = "client-ca-required"
	// RuleCANotCA: a CA file holds a certificate without CA:TRUE.
	RuleCANotCA = "ca-not-ca"
	// RuleKeyUsage: a certificate lacks the extended key usage of its
	// role (serverAuth for a server, clientAuth for a client).
	RuleKeyUsage = "key-usage"
	// RuleKeyPair: the key does not match the certificate.
	RuleKeyPair = "key-pair"
	// RuleChain: the certificates of a certificate file are not each
	// signed by the next, so the chain sent to peers is broken.
	RuleChain = "chain"
	// RuleValidity: a certificate is expired or not yet valid.
	RuleValidity = "validity"
	// RuleMinVersion: min_version is unknown or below TLS 1.2.
	RuleMinVersion = "min-version"
	// RuleTLSVerify: verification of the server is skipped without an
	// explicit, named opt-out, or an allow-list is set that skipping
	// verification would make meaningless.
	RuleTLSVerify = "tls-verify"
	// RuleIdentity: an entry of an allow-list is malformed.
	RuleIdentity = "identity"
	// RuleTicketKeys: the session ticket keys file holds a line that is
	// not a base64 32-byte key, a repeated key, or no key at all.
	RuleTicketKeys = "ticket-keys"
)

// ErrClosed is returned by Reload after Close.
var ErrClosed = errors.New("tlsx: source closed")

// problems collects ConfigErrors under a key prefix.
type problems = configerr.Problems

// joinFlat joins errs like errors.Join, but lifts the members of joined
// errors to the top, so a caller ranging over Unwrap() []error sees
// every *harden.ConfigError directly.
func joinFlat(errs ...error) error {
	var flat []error
	for _, err := range errs {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			flat = append(flat, j.Unwrap()...)
		} else if err != nil {
			flat = append(flat, err)
		}
	}
	return errors.Join(flat...)
}
