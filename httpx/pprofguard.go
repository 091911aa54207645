package httpx

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/harden-go/harden/internal/problem"
)

// pprofPrefix is where net/http/pprof registers its handlers on
// http.DefaultServeMux.
const pprofPrefix = "/debug/pprof"

// pprofGuard answers 404 problem+json to every request whose path names
// /debug/pprof or a path below it, so the public port never reaches a
// profiling handler whatever mux or middleware the application serves.
func pprofGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isPprofPath(r.URL) {
			problem.Write(w, r, http.StatusNotFound, "not_found", "profiles are served on the admin listener, not on the public port")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isPprofPath reports whether any reading of u's path that a router might
// make lands on /debug/pprof: the decoded path, and the decoded path
// unescaped again (a double-decoding router), each with backslashes taken
// as slashes, cleaned of empty, "." and ".." segments, and case-folded.
// Erring towards 404 costs nothing: no public API lives under
// /debug/pprof.
func isPprofPath(u *url.URL) bool {
	// Cleaning and case-folding make no letters, so a path that reads
	// "pprof" in no case and has no escape left to decode cannot land
	// there: the answer for almost every request, without the copies
	// below.
	if !strings.Contains(u.Path, "%") && !containsFoldPprof(u.Path) {
		return false
	}
	candidates := []string{u.Path}
	if p, err := url.PathUnescape(u.Path); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		p = strings.ToLower(path.Clean("/" + strings.ReplaceAll(p, `\`, "/")))
		if p == pprofPrefix || strings.HasPrefix(p, pprofPrefix+"/") {
			return true
		}
	}
	return false
}

// containsFoldPprof reports whether s contains "pprof" in any case.
func containsFoldPprof(s string) bool {
	const word = "pprof"
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for j < len(word) && s[i+j]|0x20 == word[j] {
			j++
		}
		if j == len(word) {
			return true
		}
	}
	return false
}
