package tlstest

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// defaultServerNames are the names of a server certificate issued without
// any: every way a test reaches a loopback server.
var defaultServerNames = []string{"localhost", "127.0.0.1", "::1"}

// addNames sorts names into tmpl's subject alternative names: an IP
// address goes to IPAddresses, a name with a colon (a URI such as a
// SPIFFE ID) to URIs, anything else to DNSNames. DNS names are not
// checked further, so a test can issue a wildcard or a malformed name on
// purpose.
func addNames(tmpl *x509.Certificate, names []string) error {
	for _, name := range names {
		if addr, err := netip.ParseAddr(name); err == nil {
			if addr.Zone() != "" {
				return fmt.Errorf("name %q: an IP address in a certificate has no zone", name)
			}
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(addr.AsSlice()))
			continue
		}
		switch {
		case name == "":
			return fmt.Errorf("empty name")
		case strings.Contains(name, ":"):
			u, err := url.Parse(name)
			if err != nil {
				return fmt.Errorf("name %q is neither an IP address nor a URI: %w", name, err)
			}
			if u.Scheme == "" {
				return fmt.Errorf("name %q is neither an IP address nor a URI with a scheme", name)
			}
			tmpl.URIs = append(tmpl.URIs, u)
		default:
			tmpl.DNSNames = append(tmpl.DNSNames, name)
		}
	}
	return nil
}
