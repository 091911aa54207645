package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupLimits are the CPU and memory limits the kernel enforces on this
// process: the tightest along the path from its cgroup up to the root of
// the hierarchy, since a parent's limit binds its children. The Go
// runtime reads only the leaf (golang/go#81180), so the two can differ.
type cgroupLimits struct {
	version  int     // 2 (unified) or 1; 0 when no cgroup files were found
	cpus     float64 // the CPU quota in CPUs; 0 when none
	cpuFile  string  // the file the quota came from
	memory   int64   // the memory limit in bytes; 0 when none
	memFile  string  // the file the memory limit came from
	leafCPUs float64 // the quota of the process's own cgroup; 0 when none
}

// v1Unlimited: cgroup v1 writes "no limit" as the largest page-aligned
// int64 (9223372036854771712); anything this large is no limit.
const v1Unlimited = 1 << 62

// readCgroupLimits reads the limits of the process's cgroup from the
// files under root ("/" on a real system, a fake tree in tests): root's
// proc/self/cgroup names the cgroup, and the hierarchies are expected
// under sys/fs/cgroup, where container runtimes and systemd mount them
// (/proc/self/mountinfo, which could say otherwise, is not read). In a
// container with its own cgroup namespace the path is "/", the
// container's own cgroup.
func readCgroupLimits(root string) (cgroupLimits, error) {
	data, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if errors.Is(err, fs.ErrNotExist) {
		return cgroupLimits{}, nil // not Linux, or no /proc
	}
	if err != nil {
		return cgroupLimits{}, err
	}
	paths := map[string]string{} // controller ("" for v2) -> path
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), ":", 3)
		if len(f) != 3 {
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			paths[c] = f[2]
		}
	}
	mount := filepath.Join(root, "sys/fs/cgroup")
	if _, err := os.Stat(filepath.Join(mount, "cgroup.controllers")); err == nil {
		return readCgroupV2(mount, paths[""])
	}
	_, memory := paths["memory"]
	_, cpu := paths["cpu"]
	if memory || cpu {
		return readCgroupV1(mount, paths)
	}
	return cgroupLimits{}, nil
}

func readCgroupV2(mount, p string) (cgroupLimits, error) {
	l := cgroupLimits{version: 2}
	var errs []error
	for i, dir := range ancestors(mount, p) {
		if q, ok, err := readCPUMax(filepath.Join(dir, "cpu.max")); err != nil {
			errs = append(errs, err)
		} else if ok {
			l.tightenCPU(q, filepath.Join(dir, "cpu.max"), i == 0)
		}
		if m, ok, err := readLimit(filepath.Join(dir, "memory.max")); err != nil {
			errs = append(errs, err)
		} else if ok {
			l.tightenMemory(m, filepath.Join(dir, "memory.max"))
		}
	}
	return l, errors.Join(errs...)
}

func readCgroupV1(mount string, paths map[string]string) (cgroupLimits, error) {
	l := cgroupLimits{version: 1}
	var errs []error
	for i, dir := range ancestors(filepath.Join(mount, "cpu"), paths["cpu"]) {
		quota, okQ, err := readLimit(filepath.Join(dir, "cpu.cfs_quota_us"))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		period, okP, err := readLimit(filepath.Join(dir, "cpu.cfs_period_us"))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if okQ && okP && period > 0 {
			l.tightenCPU(float64(quota)/float64(period), filepath.Join(dir, "cpu.cfs_quota_us"), i == 0)
		}
	}
	for _, dir := range ancestors(filepath.Join(mount, "memory"), paths["memory"]) {
		if m, ok, err := readLimit(filepath.Join(dir, "memory.limit_in_bytes")); err != nil {
			errs = append(errs, err)
		} else if ok {
			l.tightenMemory(m, filepath.Join(dir, "memory.limit_in_bytes"))
		}
	}
	return l, errors.Join(errs...)
}

func (l *cgroupLimits) tightenCPU(cpus float64, file string, leaf bool) {
	if leaf {
		l.leafCPUs = cpus
	}
	if l.cpus == 0 || cpus < l.cpus {
		l.cpus, l.cpuFile = cpus, file
	}
}

func (l *cgroupLimits) tightenMemory(bytes int64, file string) {
	if l.memory == 0 || bytes < l.memory {
		l.memory, l.memFile = bytes, file
	}
}

// ancestors returns the directory of the cgroup p under mount, then each
// parent up to mount itself. When the directory does not exist (a cgroup
// namespace shows the container's cgroup at the mount's root), it is
// mount alone.
func ancestors(mount, p string) []string {
	dirs := []string{}
	p = path.Clean("/" + p)
	if _, err := os.Stat(filepath.Join(mount, filepath.FromSlash(p))); err != nil {
		p = "/"
	}
	for {
		dirs = append(dirs, filepath.Join(mount, filepath.FromSlash(p)))
		if p == "/" {
			return dirs
		}
		p = path.Dir(p)
	}
}

// readCPUMax reads a cgroup v2 cpu.max file, "QUOTA PERIOD" in
// microseconds or "max PERIOD", as a number of CPUs. A missing file or
// "max" is no limit.
func readCPUMax(file string) (cpus float64, ok bool, err error) {
	s, ok, err := readLimitFile(file)
	if !ok || err != nil {
		return 0, false, err
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, false, nil
	}
	quota, err1 := strconv.ParseInt(f[0], 10, 64)
	period := int64(100000) // the kernel's default period when only a quota is written
	var err2 error
	if len(f) > 1 {
		period, err2 = strconv.ParseInt(f[1], 10, 64)
	}
	if err1 != nil || err2 != nil || quota <= 0 || period <= 0 {
		return 0, false, fmt.Errorf("%s: cannot read %q as QUOTA PERIOD", file, s)
	}
	return float64(quota) / float64(period), true, nil
}

// readLimit reads a file holding one integer limit. A missing file, "max",
// a negative value (v1's -1 quota) or v1's near-MaxInt64 is no limit.
func readLimit(file string) (int64, bool, error) {
	s, ok, err := readLimitFile(file)
	if !ok || err != nil {
		return 0, false, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s: cannot read %q as a number", file, s)
	}
	if n < 0 || n >= v1Unlimited {
		return 0, false, nil
	}
	return n, true, nil
}

// readLimitFile returns the trimmed content of a cgroup limit file; ok is
// false when the file is missing or starts with "max" (no limit).
func readLimitFile(file string) (content string, ok bool, err error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	s := strings.TrimSpace(string(data))
	return s, !strings.HasPrefix(s, "max"), nil
}
