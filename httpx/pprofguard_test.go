package httpx

import (
	"io"
	"net/http"
	_ "net/http/pprof" // registers on http.DefaultServeMux; the public server must not serve it
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/harden-go/harden/middleware"
)

// pprofPaths reach net/http/pprof's handlers on http.DefaultServeMux, or
// on a router that cleans, unescapes or folds case more than it does.
var pprofPaths = []string{
	"/debug/pprof/",
	"/debug/pprof",
	"/debug/pprof/cmdline",
	"/debug/pprof/goroutine?debug=1",
	"//debug/pprof/cmdline",
	"/debug//pprof/cmdline",
	"/./debug/pprof/cmdline",
	"/x/../debug/pprof/cmdline",
	"/debug%2Fpprof/cmdline",
	"/debug%2fpprof%2Fcmdline",
	"/%64ebug/pprof/cmdline",
	"/DEBUG/PPROF/cmdline",
	"/Debug/Pprof/",
	"/debug\\pprof\\cmdline",
	"/debug%252Fpprof/cmdline",
}

// noRedirects is a client that reports the first answer, so a redirect to
// the cleaned path does not hide what the server did with the path sent.
func noRedirects(c *http.Client) *http.Client {
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &nc
}

// The public server answers 404 under /debug/pprof/ whatever wraps
// http.DefaultServeMux, which net/http/pprof populates on import.
func TestPublicServerNeverRoutesPprof(t *testing.T) {
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"RequestID(DefaultServeMux)", middleware.RequestID()(http.DefaultServeMux)},
		{"MaxBytesHandler(DefaultServeMux)", http.MaxBytesHandler(http.DefaultServeMux, 1<<20)},
		{"HandlerFunc calling DefaultServeMux", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.URL.Path = strings.ReplaceAll(r.URL.Path, "\\", "/") // a router that accepts backslashes
			http.DefaultServeMux.ServeHTTP(w, r)
		})},
	}
	run(t, func(t *testing.T, m mode) {
		for _, h := range handlers {
			t.Run(h.name, func(t *testing.T) {
				_, base, client := serveMode(t, m, testConfig(), h.h)
				client = noRedirects(client)
				for _, p := range pprofPaths {
					t.Run(p, func(t *testing.T) {
						req, err := http.NewRequest("GET", base+"/", nil)
						if err != nil {
							t.Fatal(err)
						}
						req.URL.Opaque = "//" + req.URL.Host + p // sent as written, not re-escaped
						resp, err := client.Do(req)
						if err != nil {
							t.Fatal(err)
						}
						defer resp.Body.Close()
						checkProto(t, m, resp)
						if pb := decodeProblem(t, resp, http.StatusNotFound); pb.Code != "not_found" {
							t.Errorf("code = %q, want not_found", pb.Code)
						}
					})
				}
			})
		}
	})
}

// What a user writes: the default config, DefaultServeMux behind one
// middleware, http.DefaultClient. The same request with the profiles
// exposed on purpose is served, so the import above is live.
func TestPprofOnPublicPortOnlyWhenExposed(t *testing.T) {
	for _, expose := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "exposed"}[expose], func(t *testing.T) {
			cfg := testConfig()
			cfg.ExposePprof = expose
			_, addr := serve(t, cfg, middleware.RequestID()(http.DefaultServeMux))
			resp, err := http.DefaultClient.Get("http://" + addr + "/debug/pprof/cmdline")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			http.DefaultClient.CloseIdleConnections()
			want := map[bool]int{false: http.StatusNotFound, true: http.StatusOK}[expose]
			if resp.StatusCode != want {
				t.Fatalf("/debug/pprof/cmdline = %d %q, want %d", resp.StatusCode, body, want)
			}
		})
	}
}

// Whatever path an attacker sends, if http.DefaultServeMux would route it
// (or redirect it) to a profiling handler, the guard refuses it.
func FuzzPprofGuardCoversDefaultServeMux(f *testing.F) {
	for _, p := range pprofPaths {
		f.Add(p)
	}
	f.Add("/healthz")
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		_, pattern := http.DefaultServeMux.Handler(&http.Request{Method: "GET", URL: u, Host: "x"})
		if strings.HasPrefix(pattern, pprofPrefix) && !isPprofPath(u) {
			t.Fatalf("%q reaches DefaultServeMux pattern %q past the guard", target, pattern)
		}
	})
}

// The fast path of isPprofPath answers as the full check does.
func FuzzPprofFastPath(f *testing.F) {
	for _, p := range append(pprofPaths, "/healthz", "/a/PpRoF", "/%64ebug/pprof", `\debug\PPROF\heap`, "/x/../debug/pprof") {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		slow := false
		for _, p := range []string{u.Path, unescapedOr(u.Path)} {
			p = strings.ToLower(path.Clean("/" + strings.ReplaceAll(p, `\`, "/")))
			slow = slow || p == pprofPrefix || strings.HasPrefix(p, pprofPrefix+"/")
		}
		if got := isPprofPath(u); got != slow {
			t.Fatalf("isPprofPath(%q) = %v, the full check says %v", u.Path, got, slow)
		}
	})
}

// unescapedOr is p unescaped, or p when it does not unescape.
func unescapedOr(p string) string {
	if q, err := url.PathUnescape(p); err == nil {
		return q
	}
	return p
}
