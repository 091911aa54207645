package tlstest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// A flaw that does not apply, contradictory flaws and names that are
// neither DNS names, IP addresses nor URIs fail the test instead of
// issuing something else than asked.
func TestMisuseFails(t *testing.T) {
	ca := tlstest.NewCA(t)
	tests := []struct {
		name  string
		issue func(tb tlstest.TB)
	}{
		{"NotCA on a server", func(tb tlstest.TB) { ca.Issuing(tlstest.NotCA).Server(tb) }},
		{"NotCA on a client", func(tb tlstest.TB) { ca.Issuing(tlstest.NotCA).Client(tb) }},
		{"WrongKey on a root", func(tb tlstest.TB) { tlstest.NewCA(tb, tlstest.WrongKey) }},
		{"WrongKey on an intermediate", func(tb tlstest.TB) { ca.Issuing(tlstest.WrongKey).Intermediate(tb) }},
		{"Expired and NotYetValid", func(tb tlstest.TB) { ca.Issuing(tlstest.Expired, tlstest.NotYetValid).Server(tb) }},
		{"unknown flaw", func(tb tlstest.TB) { ca.Issuing(tlstest.Flaw(99)).Server(tb) }},
		{"empty name", func(tb tlstest.TB) { ca.Server(tb, "localhost", "") }},
		{"zoned IP", func(tb tlstest.TB) { ca.Server(tb, "fe80::1%eth0") }},
		{"URI without scheme", func(tb tlstest.TB) { ca.Client(tb, ":8080") }},
		{"malformed URI", func(tb tlstest.TB) { ca.Client(tb, "spiffe://%zz") }},
		{"NotCA through ServerConfig", func(tb tlstest.TB) { ca.Issuing(tlstest.NotCA).ServerConfig(tb, nil) }},
		{"NotCA through MTLSServerConfig", func(tb tlstest.TB) { ca.Issuing(tlstest.NotCA).MTLSServerConfig(tb, nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, fataled := runTB(t, tc.issue)
			if !fataled || !strings.HasPrefix(msg, "tlstest: ") {
				t.Fatalf("Fatalf called %v with %q; want a call naming tlstest", fataled, msg)
			}
		})
	}

	// The same calls, sound, do not fail: the failures above are the
	// misuse's.
	if msg, fataled := runTB(t, func(tb tlstest.TB) {
		ca.Issuing(tlstest.Expired).Server(tb, "localhost", "fe80::1")
		ca.Issuing(tlstest.WrongKey).Client(tb, "spiffe://example.org/x")
		ca.Issuing(tlstest.NotCA).Intermediate(tb)
	}); fataled {
		t.Fatalf("sound calls failed: %s", msg)
	}
}

func TestFlawString(t *testing.T) {
	for f, want := range map[tlstest.Flaw]string{
		tlstest.Expired: "Expired", tlstest.NotYetValid: "NotYetValid", tlstest.WrongUsage: "WrongUsage",
		tlstest.WrongKey: "WrongKey", tlstest.NotCA: "NotCA", tlstest.Flaw(99): "Flaw(99)",
	} {
		if got := f.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

// recordingTB records the first Fatalf and stops the goroutine that
// called it, as testing.T does.
type recordingTB struct {
	dir     string
	msg     string
	fataled bool
}

func (r *recordingTB) Helper()         {}
func (r *recordingTB) TempDir() string { return r.dir }
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.msg, r.fataled = fmt.Sprintf(format, args...), true
	runtime.Goexit()
}

// runTB runs f with a recordingTB on its own goroutine and reports what
// Fatalf, if called, was given.
func runTB(t *testing.T, f func(tb tlstest.TB)) (msg string, fataled bool) {
	tb := &recordingTB{dir: t.TempDir()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(tb)
	}()
	<-done
	return tb.msg, tb.fataled
}
