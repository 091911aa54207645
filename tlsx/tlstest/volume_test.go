package tlstest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// The volume is laid out as the kubelet lays it out, and an update
// switches every file to the new version at once and removes the old
// one.
func TestSecretVolume(t *testing.T) {
	ca := tlstest.NewCA(t)
	v1, v2 := ca.Server(t), ca.Server(t)
	v := tlstest.NewSecretVolume(t, map[string]string{"tls.crt": v1.CertFile, "tls.key": v1.KeyFile})

	link, err := os.Readlink(v.Path("tls.crt"))
	if err != nil || link != filepath.Join("..data", "tls.crt") {
		t.Fatalf("tls.crt links to %q (%v), want ..data/tls.crt", link, err)
	}
	first, err := os.Readlink(filepath.Join(v.Dir, "..data"))
	if err != nil || !strings.HasPrefix(first, "..2") {
		t.Fatalf("..data links to %q (%v), want a timestamped directory", first, err)
	}
	checkSame(t, v.Path("tls.crt"), v1.CertFile)
	checkSame(t, v.Path("tls.key"), v1.KeyFile)

	v.Update(t, map[string]string{"tls.crt": v2.CertFile, "tls.key": v2.KeyFile})
	checkSame(t, v.Path("tls.crt"), v2.CertFile)
	checkSame(t, v.Path("tls.key"), v2.KeyFile)
	if _, err := os.Stat(filepath.Join(v.Dir, first)); !os.IsNotExist(err) {
		t.Errorf("the first version %s is still there: %v", first, err)
	}
	if _, err := os.Lstat(filepath.Join(v.Dir, "..data_tmp")); !os.IsNotExist(err) {
		t.Errorf("..data_tmp is left behind: %v", err)
	}
}

// The error forms return what the TB forms fail the test with, and
// write their files in the directory given.
func TestErrorForms(t *testing.T) {
	if _, err := tlstest.NewCAIn(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.HasPrefix(err.Error(), "tlstest: ") {
		t.Errorf("NewCAIn in a missing directory: %v, want an error naming tlstest", err)
	}
	dir := t.TempDir()
	ca, err := tlstest.NewCAIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Issuing(tlstest.NotCA).ServerIn(dir); err == nil || !strings.Contains(err.Error(), "applies to CAs only") {
		t.Errorf("ServerIn with NotCA: %v, want the misuse named", err)
	}
	srv, err := ca.ServerIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(srv.CertFile) != dir || filepath.Dir(ca.KeyFile) != dir {
		t.Errorf("files %s, %s; want them in %s", srv.CertFile, ca.KeyFile, dir)
	}
	if _, err := tlstest.NewSecretVolumeIn(dir, map[string]string{"tls.crt": filepath.Join(dir, "missing")}); err == nil {
		t.Error("NewSecretVolumeIn with a missing source file succeeded")
	}
}

func checkSame(t *testing.T, got, want string) {
	t.Helper()
	if string(readFile(t, got)) != string(readFile(t, want)) {
		t.Errorf("%s does not hold the content of %s", got, want)
	}
}
