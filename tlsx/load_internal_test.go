package tlsx

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// A certificate and its key come from the same version even when the
// kubelet swaps ..data between the two reads.
func TestLoadResolvesDataOnce(t *testing.T) {
	ca := tlstest.NewCA(t)
	v1, v2 := ca.Server(t), ca.Server(t)
	dir := t.TempDir()
	publish := func(ts string, c *tlstest.Cert) {
		if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, src := range map[string]string{"tls.crt": c.CertFile, "tls.key": c.KeyFile} {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ts, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(ts, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	publish("..2026_11_22_01_00_00.001", v1)
	for _, name := range []string{"tls.crt", "tls.key"} {
		if err := os.Symlink("..data/"+name, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	// The option swaps ..data right after a reload has read tls.crt.
	var swap atomic.Bool
	onRead := optionFunc(func(o *options) {
		o.onRead = func(path string) {
			if filepath.Base(path) == "tls.crt" && swap.CompareAndSwap(true, false) {
				publish("..2026_11_22_01_00_00.002", v2)
			}
		}
	})
	src, err := NewServerSource(t.Context(), ServerConfig{
		CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"), ReloadInterval: -1,
	}, onRead)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	swap.Store(true)
	if err := src.Reload(); err != nil {
		t.Fatalf("reload across a swap: %v", err)
	}
	if !src.State().Leaf.Equal(v1.Certificate) {
		t.Error("reload took the new certificate after reading the old one")
	}
	if err := src.Reload(); err != nil || !src.State().Leaf.Equal(v2.Certificate) {
		t.Errorf("next reload: %v, want the new version", err)
	}
}
