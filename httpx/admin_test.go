package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAdminEndpoints(t *testing.T) {
	_, addr := serveAdmin(t, AdminConfig{Addr: "127.0.0.1:0"})
	c := newClient(t)
	tests := []struct {
		path   string
		status int
		ctype  string
		want   string
	}{
		{"/livez", http.StatusOK, "text/plain; charset=utf-8", "ok"},
		{"/readyz", http.StatusOK, "text/plain; charset=utf-8", "ok"},
		{"/debug/pprof/", http.StatusOK, "text/html; charset=utf-8", "goroutine"},
		{"/debug/pprof/goroutine?debug=1", http.StatusOK, "text/plain; charset=utf-8", "goroutine profile"},
		{"/debug/pprof/heap", http.StatusOK, "application/octet-stream", ""},
		{"/debug/pprof/cmdline", http.StatusOK, "text/plain; charset=utf-8", ""},
		{"/debug/pprof/profile?seconds=31", http.StatusBadRequest, "application/problem+json", "profile_too_long"},
		{"/debug/pprof/trace?seconds=x", http.StatusBadRequest, "application/problem+json", "bad_seconds"},
		{"/debug/pprof/nope", http.StatusNotFound, "application/problem+json", "unknown_profile"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := c.Get("http://" + addr + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ctype {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.ctype)
			}
			if !strings.Contains(string(body), tc.want) || len(body) == 0 {
				t.Errorf("body %.200q does not contain %q", body, tc.want)
			}
		})
	}
}

func TestAdminCPUProfile(t *testing.T) {
	_, addr := serveAdmin(t, AdminConfig{Addr: "127.0.0.1:0"})
	resp, err := newClient(t).Get("http://" + addr + "/debug/pprof/profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// A pprof profile is gzip-compressed protobuf.
	if resp.StatusCode != http.StatusOK || len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		t.Fatalf("status %d, %d bytes; want a gzip profile", resp.StatusCode, len(body))
	}
}

func TestAdminWithoutPprof(t *testing.T) {
	_, addr := serveAdmin(t, AdminConfig{Addr: "127.0.0.1:0", DisablePprof: true})
	if code, _, err := status(newClient(t), "http://"+addr+"/debug/pprof/"); err != nil || code != http.StatusNotFound {
		t.Fatalf("/debug/pprof/ = %d, %v; want 404", code, err)
	}
}

func TestAdminWriteDeadlineOutlastsProfiles(t *testing.T) {
	a, err := NewAdminServer(AdminConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if wt, mp := a.HTTPServer().WriteTimeout, DefaultServerConfig().Admin.MaxProfile; wt <= mp {
		t.Fatalf("admin WriteTimeout %v does not exceed the longest profile %v", wt, mp)
	}
	if a.HTTPServer().Addr != "127.0.0.1:9090" {
		t.Fatalf("admin listens on %q by default, want loopback", a.HTTPServer().Addr)
	}
}

func TestNewAdminServerRefusesPublicAddress(t *testing.T) {
	a, err := NewAdminServer(AdminConfig{Addr: ":9090"})
	if a != nil || findRule(err, RuleAdminLoopback) == nil {
		t.Fatalf("NewAdminServer(:9090) = %v, %v; want admin-loopback refusal", a, err)
	}
}

// Serve checks the listener it is given as NewAdminServer checks
// admin.addr: beyond loopback only when admin.expose says so.
func TestAdminServeRefusesPublicListener(t *testing.T) {
	a, err := NewAdminServer(AdminConfig{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan error, 1)
	go func() { served <- a.Serve(l) }()
	select {
	case err = <-served:
	case <-time.After(safety):
		_ = a.Shutdown(context.Background())
		t.Fatalf("Serve(%v) served a listener beyond loopback: %v", l.Addr(), <-served)
	}
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Rule != RuleAdminLoopback || ce.Field != "server.admin.addr" {
		t.Fatalf("Serve(%v) = %v, want a ConfigError for server.admin.addr, rule admin-loopback", l.Addr(), err)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the refused listener is still open (Accept = %v); Serve closes it as http.Server.Serve does", err)
	}
	if a.Addr() != nil {
		t.Errorf("Addr() = %v after a refusal, want nil", a.Addr())
	}
}

func TestAdminServeOnPublicListenerWhenExposed(t *testing.T) {
	a, err := NewAdminServer(AdminConfig{Addr: "0.0.0.0:9090", Expose: true, DisablePprof: true})
	if err != nil {
		t.Fatal(err)
	}
	addr := listenOn(t, "0.0.0.0:0", a.Serve, a.Shutdown)
	_, port, _ := net.SplitHostPort(addr)
	if code, _, err := status(newClient(t), "http://127.0.0.1:"+port+"/livez"); err != nil || code != http.StatusOK {
		t.Fatalf("/livez = %d, %v; want 200", code, err)
	}
}

// A Unix socket is reachable from this host only, like loopback.
func TestAdminServeOnUnixSocket(t *testing.T) {
	a, err := NewAdminServer(AdminConfig{DisablePprof: true})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "admin.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(l) }()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}
	code, _, err := status(&http.Client{Transport: tr, Timeout: safety}, "http://admin/livez")
	tr.CloseIdleConnections()
	if err := a.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve = %v, want http.ErrServerClosed", err)
	}
	if err != nil || code != http.StatusOK {
		t.Fatalf("/livez over a Unix socket = %d, %v; want 200", code, err)
	}
}
