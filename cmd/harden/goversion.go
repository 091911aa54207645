package main

import (
	"fmt"
	"strconv"
	"strings"
)

// goFix is a vulnerability of the Go standard library that harden's
// defences rest on, and the first release of each Go minor version that
// fixed it. A minor version newer than every one listed was released with
// the fix; an older one never received it.
type goFix struct {
	CVE   string   `json:"cve"`
	What  string   `json:"what"`
	Fixed []string `json:"fixed_in"` // oldest minor version first
}

// goFixes are the net/http and crypto/tls vulnerabilities a server
// built on harden would still be exposed to with an older toolchain,
// from the Go security announcements (golang-announce) and the Go
// vulnerability database. It is not every Go vulnerability: run
// govulncheck for those.
var goFixes = []goFix{
	// golang/go#63417; harden also caps streams (http2.max_concurrent_streams).
	{"CVE-2023-39325", "HTTP/2 rapid reset: reset streams keep starting handlers", []string{"go1.20.10", "go1.21.3"}},
	// golang/go#65051.
	{"CVE-2023-45288", "HTTP/2 CONTINUATION flood: unbounded header frames", []string{"go1.21.9", "go1.22.2"}},
	// golang/go#67555.
	{"CVE-2024-24791", "net/http client: a 100-continue answered with a final status breaks the connection (ReverseProxy DoS)", []string{"go1.21.12", "go1.22.5"}},
	// golang/go#71988.
	{"CVE-2025-22871", "net/http: request smuggling through a bare LF in chunked data", []string{"go1.23.8", "go1.24.2"}},
	// golang-announce, Go 1.25.2 and 1.24.8.
	{"CVE-2025-58186", "net/http: no limit on the number of cookies parsed", []string{"go1.24.8", "go1.25.2"}},
	{"CVE-2025-58189", "crypto/tls: ALPN negotiation error echoes attacker-controlled data", []string{"go1.24.8", "go1.25.2"}},
	// golang/go#77113.
	{"CVE-2025-68121", "crypto/tls: a session resumes after ClientCAs or RootCAs changed", []string{"go1.24.13", "go1.25.7"}},
}

// goRelease is a parsed Go release version: go1.22.2 is {1, 22, 2}; a
// release candidate (go1.26rc1) comes before the minor's .0 release.
type goRelease struct{ major, minor, patch int }

// parseGoVersion parses a release version as runtime.Version and
// debug/buildinfo report it ("go1.22.2", "go1.26rc1", "go1.25.1
// X:nodwarf5"). ok is false for a development build ("devel go1.27-…").
func parseGoVersion(v string) (goRelease, bool) {
	v, _, _ = strings.Cut(v, " ")
	rest, found := strings.CutPrefix(v, "go")
	if !found {
		return goRelease{}, false
	}
	// A suffix such as "rc1" or "-boring" ends the numbers.
	num, suffix := rest, ""
	if end := strings.IndexFunc(rest, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); end >= 0 {
		num, suffix = rest[:end], rest[end:]
	}
	parts := strings.Split(num, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return goRelease{}, false
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil {
			return goRelease{}, false
		}
		n[i] = x
	}
	r := goRelease{n[0], n[1], n[2]}
	if strings.HasPrefix(suffix, "rc") || strings.HasPrefix(suffix, "beta") {
		r.patch = -1 // a pre-release of the minor version
	}
	return r, true
}

func (r goRelease) less(o goRelease) bool {
	if r.major != o.major {
		return r.major < o.major
	}
	if r.minor != o.minor {
		return r.minor < o.minor
	}
	return r.patch < o.patch
}

func (r goRelease) String() string { return fmt.Sprintf("go%d.%d.%d", r.major, r.minor, r.patch) }

// missing returns the fixes of goFixes that release r lacks, and for each
// the release to upgrade to.
func missingFixes(r goRelease) (missing []goFix, upgrade goRelease) {
	for _, f := range goFixes {
		first, _ := parseGoVersion(f.Fixed[0])
		last, _ := parseGoVersion(f.Fixed[len(f.Fixed)-1])
		need := goRelease{}
		switch {
		case r.major != first.major || r.minor > last.minor:
			continue // released after the fix
		case r.minor < first.minor:
			need = last // the branch never received it: move to a fixed one
		default:
			for _, v := range f.Fixed {
				if fix, _ := parseGoVersion(v); fix.minor == r.minor {
					need = fix
				}
			}
			if need == (goRelease{}) || !r.less(need) {
				continue
			}
		}
		missing = append(missing, f)
		if upgrade.less(need) {
			upgrade = need
		}
	}
	return missing, upgrade
}
