package tlsx

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
)

// IdentityError is returned from a handshake whose peer presented a
// verified certificate that no entry of the allow-list matches. Side is
// the role of the peer: "client" when a server refused a client,
// "server" when a client refused a server. Resumed reports that the
// refused handshake was a session resumption, which the check covers
// because it runs in [tls.Config.VerifyConnection].
type IdentityError struct {
	Side    string
	DNS     []string // the DNS SANs of the peer's certificate
	URI     []string // the URI SANs of the peer's certificate
	Resumed bool
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("tlsx: %s identity dns=%v uri=%v is not in the allow-list", e.Side, e.DNS, e.URI)
}

// allows reports whether ids admits the leaf certificate c. An empty
// ids admits every certificate.
func (ids Identities) allows(c *x509.Certificate) bool {
	if ids.empty() {
		return true
	}
	for _, want := range ids.DNS {
		for _, got := range c.DNSNames {
			if strings.EqualFold(want, got) {
				return true
			}
		}
	}
	for _, u := range c.URIs {
		got := u.String()
		for _, want := range ids.URI {
			if got == want {
				return true
			}
		}
		if !spiffeShaped(u) {
			continue
		}
		for _, prefix := range ids.URIPrefixes {
			if underPrefix(got, prefix) {
				return true
			}
		}
	}
	return false
}

// spiffeShaped reports whether u has nothing that the SPIFFE-ID
// specification forbids in an ID: userinfo, a port or its colon
// (section 2.1), a query or fragment (section 2), an empty, "." or ".."
// path segment, or percent-encoding (section 2.2). A URI that has any of
// them can mean something other than its string says, so it matches no
// prefix.
func spiffeShaped(u *url.URL) bool {
	if u.Opaque != "" || u.User != nil || strings.Contains(u.Host, ":") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return false
	}
	p := u.EscapedPath()
	if p == "" {
		return true
	}
	if p[0] != '/' || strings.Contains(p, "%") {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// underPrefix reports whether uri continues prefix with one path segment
// or more, so that prefix ends at a segment boundary of uri.
func underPrefix(uri, prefix string) bool {
	rest, ok := strings.CutPrefix(uri, prefix)
	return ok && rest != "" && (strings.HasSuffix(prefix, "/") || rest[0] == '/')
}

// clone returns a deep copy, so a caller's slices can change without
// touching an allow-list in use.
func (ids Identities) clone() Identities {
	return Identities{
		DNS:         append([]string(nil), ids.DNS...),
		URI:         append([]string(nil), ids.URI...),
		URIPrefixes: append([]string(nil), ids.URIPrefixes...),
	}
}

// checkPeer applies ids to the peer's leaf. A peer without certificate
// passes only an empty allow-list; crypto/tls has already refused it
// when certificates are required.
func (ids Identities) checkPeer(side string, peer []*x509.Certificate, resumed bool) error {
	if ids.empty() {
		return nil
	}
	e := &IdentityError{Side: side, Resumed: resumed}
	if len(peer) > 0 {
		leaf := peer[0]
		if ids.allows(leaf) {
			return nil
		}
		e.DNS = append(e.DNS, leaf.DNSNames...)
		for _, u := range leaf.URIs {
			e.URI = append(e.URI, u.String())
		}
	}
	return e
}
