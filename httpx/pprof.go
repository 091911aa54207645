package httpx

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/harden-go/harden/internal/problem"
)

// defaultProfileSeconds is net/http/pprof's default CPU profile length.
const defaultProfileSeconds = 30

// registerPprof installs the profiling endpoints that go tool pprof and go
// tool trace expect, with the same paths and query parameters as
// net/http/pprof, on mux. Profiles and traces longer than maxProfile are
// refused so the admin write deadline never cuts one off.
func registerPprof(mux *http.ServeMux, maxProfile time.Duration) {
	mux.HandleFunc("GET /debug/pprof/{$}", pprofIndex)
	mux.HandleFunc("GET /debug/pprof/cmdline", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, strings.Join(os.Args, "\x00"))
	})
	mux.HandleFunc("GET /debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		record(w, r, maxProfile, "profile", pprof.StartCPUProfile, pprof.StopCPUProfile)
	})
	mux.HandleFunc("GET /debug/pprof/trace", func(w http.ResponseWriter, r *http.Request) {
		record(w, r, maxProfile, "trace", trace.Start, trace.Stop)
	})
	mux.HandleFunc("GET /debug/pprof/{name}", pprofNamed)
}

func pprofIndex(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><title>/debug/pprof/</title></head><body><h1>/debug/pprof/</h1><ul>\n")
	profiles := pprof.Profiles()
	sort.Slice(profiles, func(i, j int) bool { return profiles[i].Name() < profiles[j].Name() })
	for _, p := range profiles {
		name := html.EscapeString(p.Name())
		fmt.Fprintf(&b, "<li><a href=\"%s?debug=1\">%s</a> (%d)</li>\n", name, name, p.Count())
	}
	b.WriteString("<li><a href=\"profile\">profile</a> (CPU, ?seconds=N)</li>\n<li><a href=\"trace\">trace</a> (?seconds=N)</li>\n<li><a href=\"cmdline\">cmdline</a></li>\n</ul></body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// pprofNamed writes a named runtime profile (heap, goroutine, allocs,
// block, mutex, threadcreate). ?debug=N selects the text form; ?gc=1 runs
// a garbage collection before a heap profile.
func pprofNamed(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p := pprof.Lookup(name)
	if p == nil {
		problem.Write(w, r, http.StatusNotFound, "unknown_profile", fmt.Sprintf("no profile named %q; see /debug/pprof/", name))
		return
	}
	debug, _ := strconv.Atoi(r.FormValue("debug"))
	if name == "heap" && r.FormValue("gc") != "" {
		runtime.GC()
	}
	if debug != 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	}
	_ = p.WriteTo(w, debug)
}

// record runs a CPU profile or an execution trace for ?seconds=N (default
// 30), bounded by limit, and stops early when the client goes away.
func record(w http.ResponseWriter, r *http.Request, limit time.Duration, kind string, start func(io.Writer) error, stop func()) {
	seconds := int64(defaultProfileSeconds)
	if kind == "trace" {
		seconds = 1 // net/http/pprof's default trace length
	}
	if s := r.FormValue("seconds"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			problem.Write(w, r, http.StatusBadRequest, "bad_seconds", fmt.Sprintf("seconds=%q is not a positive whole number", s))
			return
		}
		seconds = n
	}
	if seconds > int64(limit/time.Second) {
		problem.Write(w, r, http.StatusBadRequest, "profile_too_long",
			fmt.Sprintf("seconds=%d exceeds server.admin.max_profile (%v)", seconds, limit))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", kind))
	if err := start(w); err != nil {
		w.Header().Del("Content-Disposition")
		problem.Write(w, r, http.StatusConflict, "profile_busy", fmt.Sprintf("cannot start %s: %v", kind, err))
		return
	}
	t := time.NewTimer(time.Duration(seconds) * time.Second)
	select {
	case <-t.C:
	case <-r.Context().Done():
		t.Stop()
	}
	stop()
}
