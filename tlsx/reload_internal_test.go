package tlsx

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// After a refused version the next poll comes sooner than the interval,
// backing off; after a good one, at the interval again.
func TestPollBacksOffAfterFailure(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv1, srv2 := ca.Server(t), ca.Server(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	cp := func(dst, src string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cp(certFile, srv1.CertFile)
	cp(keyFile, srv1.KeyFile)

	ticks := make(chan time.Time)
	delays := make(chan time.Duration, 10)
	src, err := NewServerSource(t.Context(), ServerConfig{CertFile: certFile, KeyFile: keyFile, ReloadInterval: harden.Minute},
		optionFunc(func(o *options) {
			o.ticks = ticks
			o.onWait = func(d time.Duration) { delays <- d }
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if d := <-delays; d != time.Minute {
		t.Errorf("first delay = %v, want the interval", d)
	}
	cp(certFile, srv2.CertFile) // the new certificate with the old key
	for range 2 {
		ticks <- time.Time{}
		if d := <-delays; d <= 0 || d >= time.Minute {
			t.Errorf("delay after a refused version = %v, want less than the interval", d)
		}
	}
	cp(keyFile, srv2.KeyFile)
	ticks <- time.Time{}
	if d := <-delays; d != time.Minute {
		t.Errorf("delay after a good version = %v, want the interval", d)
	}
	if st := src.State(); st.Reloads != 1 || st.Failures != 2 {
		t.Errorf("State() = %+v", st)
	}
}
