package limits

import (
	"errors"
	"math"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// keepMemoryLimit restores the runtime's memory limit when the test ends.
func keepMemoryLimit(t *testing.T) {
	t.Helper()
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	debug.SetMemoryLimit(math.MaxInt64)
}

func fixedLimit(n uint64, err error) memlimit.Provider {
	return func() (uint64, error) { return n, err }
}

func TestApplyMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name     string
		env      bool // GOMEMLIMIT is set
		provider memlimit.Provider
		opts     []MemoryOption
		source   string
		limit    int64
	}{
		{"cgroup limit, default ratio", false, fixedLimit(gib, nil), nil, MemorySourceCgroup, gib * 9 / 10},
		{"cgroup limit, ratio 0.5", false, fixedLimit(gib, nil), []MemoryOption{WithMemoryLimitRatio(0.5)}, MemorySourceCgroup, gib / 2},
		{"GOMEMLIMIT wins", true, fixedLimit(gib, nil), nil, MemorySourceEnv, math.MaxInt64},
		{"cgroup without limit", false, fixedLimit(0, memlimit.ErrNoLimit), nil, MemorySourceNone, math.MaxInt64},
		{"not in a cgroup", false, fixedLimit(0, memlimit.ErrNoCgroup), nil, MemorySourceNone, math.MaxInt64},
		{"no cgroups on this system", false, fixedLimit(0, memlimit.ErrCgroupsNotSupported), nil, MemorySourceNone, math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keepMemoryLimit(t)
			if tc.env {
				// The runtime read GOMEMLIMIT at start; setting it now
				// only tells ApplyMemoryLimit that the operator chose.
				t.Setenv("GOMEMLIMIT", "off")
			}
			rep, err := ApplyMemoryLimit(append(tc.opts, withCgroupLimit(tc.provider))...)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Source != tc.source || rep.Limit != tc.limit || debug.SetMemoryLimit(-1) != tc.limit {
				t.Fatalf("report %+v, runtime limit %d; want source %s and limit %d", rep, debug.SetMemoryLimit(-1), tc.source, tc.limit)
			}
			if rep.GOMAXPROCS != runtime.GOMAXPROCS(0) {
				t.Errorf("GOMAXPROCS reported %d, want %d", rep.GOMAXPROCS, runtime.GOMAXPROCS(0))
			}
			if tc.source == MemorySourceNone && rep.Reason == "" {
				t.Error("no limit set and no reason given")
			}
		})
	}
}

func TestApplyMemoryLimitRefusesBadRatio(t *testing.T) {
	keepMemoryLimit(t)
	for _, r := range []float64{0, -0.5, 1.5, math.NaN()} {
		if _, err := ApplyMemoryLimit(WithMemoryLimitRatio(r), withCgroupLimit(fixedLimit(1<<30, nil))); err == nil {
			t.Errorf("ratio %v accepted", r)
		}
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
			t.Errorf("ratio %v changed the runtime limit to %d", r, got)
		}
	}
}

// Provider errors other than the expected ones are reported, not fatal: a
// server must start even where /proc cannot be read.
func TestApplyMemoryLimitReportsUnreadableCgroup(t *testing.T) {
	keepMemoryLimit(t)
	rep, err := ApplyMemoryLimit(withCgroupLimit(fixedLimit(0, errors.New("permission denied"))))
	if err != nil || rep.Source != MemorySourceNone || rep.Reason != "permission denied" {
		t.Fatalf("ApplyMemoryLimit = %+v, %v", rep, err)
	}
}
