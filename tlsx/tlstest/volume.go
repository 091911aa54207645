package tlstest

import (
	"fmt"
	"os"
	"path/filepath"
)

// SecretVolume is a directory laid out as the kubelet lays out a
// Kubernetes secret or configMap volume, for tests of code that reloads
// files mounted from one: each file is a symlink "name -> ..data/name",
// and ..data a symlink to the timestamped directory of the current
// version. [SecretVolume.Update] publishes a new version as the
// kubelet's atomic writer does, so a reader sees either the old files or
// the new ones, never a mix.
//
// A SecretVolume is not safe for concurrent use; readers of its files
// may run concurrently with Update.
type SecretVolume struct {
	// Dir is the volume's directory, where the symlinks are.
	Dir string

	n   int    // versions published
	cur string // the current timestamped directory, relative to Dir
}

// NewSecretVolume returns a volume in a new directory of t whose first
// version holds files, which maps each name in the volume to the file
// whose content it takes (a [Cert.CertFile], say).
func NewSecretVolume(t TB, files map[string]string) *SecretVolume {
	t.Helper()
	v, err := NewSecretVolumeIn(t.TempDir(), files)
	failOn(t, err)
	return v
}

// NewSecretVolumeIn is [NewSecretVolume] for code outside tests: the
// volume is dir, which must exist, be empty and be removed by the
// caller.
func NewSecretVolumeIn(dir string, files map[string]string) (*SecretVolume, error) {
	v := &SecretVolume{Dir: dir}
	if err := v.Publish(files); err != nil {
		return nil, err
	}
	for name := range files {
		if err := os.Symlink(filepath.Join("..data", name), v.Path(name)); err != nil {
			return nil, fmt.Errorf("tlstest: secret volume: %w", err)
		}
	}
	return v, nil
}

// Path returns the path through which the volume publishes name: the
// path a config names.
func (v *SecretVolume) Path(name string) string { return filepath.Join(v.Dir, name) }

// Update publishes files as the volume's new version, failing t if it
// cannot. files should name the same files as the first version: a
// name the first version lacks has no symlink.
func (v *SecretVolume) Update(t TB, files map[string]string) {
	t.Helper()
	failOn(t, v.Publish(files))
}

// Publish is [SecretVolume.Update] for code outside tests. Like the
// kubelet, it writes the files into a new timestamped directory, points
// ..data_tmp at it, renames ..data_tmp over ..data (an atomic switch)
// and removes the old directory.
func (v *SecretVolume) Publish(files map[string]string) error {
	v.n++
	ts := fmt.Sprintf("..2026_01_01_00_00_00.%09d", v.n)
	if err := os.Mkdir(filepath.Join(v.Dir, ts), 0o755); err != nil {
		return fmt.Errorf("tlstest: secret volume: %w", err)
	}
	for name, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("tlstest: secret volume: %w", err)
		}
		if err := os.WriteFile(filepath.Join(v.Dir, ts, name), b, keyFileMode); err != nil {
			return fmt.Errorf("tlstest: secret volume: %w", err)
		}
	}
	tmp := filepath.Join(v.Dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		return fmt.Errorf("tlstest: secret volume: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(v.Dir, "..data")); err != nil {
		return fmt.Errorf("tlstest: secret volume: %w", err)
	}
	if v.cur != "" {
		if err := os.RemoveAll(filepath.Join(v.Dir, v.cur)); err != nil {
			return fmt.Errorf("tlstest: secret volume: %w", err)
		}
	}
	v.cur = ts
	return nil
}
