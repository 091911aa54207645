package main

import (
	"path/filepath"
	"testing"
)

// The limits are read from fake cgroup trees under testdata/cgroup, laid
// out as on a host: proc/self/cgroup and sys/fs/cgroup.
func TestReadCgroupLimits(t *testing.T) {
	cases := []struct {
		tree     string
		version  int
		cpus     float64
		leafCPUs float64
		memory   int64
		cpuFile  string // relative to the tree
		wantErr  bool
	}{
		{tree: "v2-quota", version: 2, cpus: 1.5, leafCPUs: 1.5, memory: 512 << 20, cpuFile: "sys/fs/cgroup/kubepods/pod1/ctr/cpu.max"},
		// The kernel enforces the parent's limits on a child without its own;
		// the tightest ancestor wins.
		{tree: "v2-parent", version: 2, cpus: 2, leafCPUs: 0, memory: 1 << 30, cpuFile: "sys/fs/cgroup/kubepods/pod1/cpu.max"},
		// In a cgroup namespace the container's cgroup is the mount's root.
		{tree: "v2-namespaced", version: 2, cpus: 0.5, leafCPUs: 0.5, memory: 256 << 20, cpuFile: "sys/fs/cgroup/cpu.max"},
		{tree: "v2-none", version: 2},
		{tree: "v2-garbled", version: 2, wantErr: true},
		{tree: "v1", version: 1, cpus: 2.5, leafCPUs: 2.5, memory: 256 << 20, cpuFile: "sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us"},
		// v1 writes "no limit" as a page-aligned MaxInt64 and a -1 quota.
		{tree: "v1-unlimited", version: 1},
		{tree: "no-such-tree", version: 0},
	}
	for _, tc := range cases {
		t.Run(tc.tree, func(t *testing.T) {
			root := filepath.Join("testdata", "cgroup", tc.tree)
			l, err := readCgroupLimits(root)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error: %v", err, tc.wantErr)
			}
			if l.version != tc.version || l.cpus != tc.cpus || l.leafCPUs != tc.leafCPUs || l.memory != tc.memory {
				t.Errorf("got version %d, cpus %v (leaf %v), memory %d; want %d, %v (leaf %v), %d",
					l.version, l.cpus, l.leafCPUs, l.memory, tc.version, tc.cpus, tc.leafCPUs, tc.memory)
			}
			if tc.cpuFile != "" && l.cpuFile != filepath.Join(root, tc.cpuFile) {
				t.Errorf("cpu quota from %s, want %s", l.cpuFile, filepath.Join(root, tc.cpuFile))
			}
		})
	}
}
