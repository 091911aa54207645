package limits

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// DefaultMemoryLimitRatio is the share of the container's memory limit
// that [ApplyMemoryLimit] gives the Go runtime by default: 90%, as
// automemlimit does, leaving a tenth for memory the Go heap does not
// account for (stacks of cgo threads, the page cache charged to the
// cgroup, other processes in the container).
const DefaultMemoryLimitRatio = 0.9

// Sources of [MemoryReport.Source].
const (
	MemorySourceEnv    = "GOMEMLIMIT" // the environment set the limit; harden left it alone
	MemorySourceCgroup = "cgroup"     // harden set it from the cgroup's memory limit
	MemorySourceNone   = "none"       // no container limit was found; the runtime has none either
)

// MemoryReport says what [ApplyMemoryLimit] found and did, for the one
// log line a server writes at start.
type MemoryReport struct {
	// Source is where the runtime's memory limit comes from:
	// MemorySourceEnv, MemorySourceCgroup or MemorySourceNone.
	Source string
	// CgroupLimit is the container's memory limit in bytes, 0 when
	// there is none or it was not looked up.
	CgroupLimit uint64
	// Ratio is the share of CgroupLimit given to the runtime.
	Ratio float64
	// Limit is the runtime's soft memory limit after the call
	// (debug.SetMemoryLimit); math.MaxInt64 means none.
	Limit int64
	// GOMAXPROCS is the runtime's CPU parallelism, which since Go 1.25
	// follows the container's CPU limit by itself (golang/go#73193); it
	// is reported, never changed.
	GOMAXPROCS int
	// Reason says why no limit was set from the cgroup, when none was.
	Reason string
}

// MemoryOption configures [ApplyMemoryLimit].
type MemoryOption interface {
	applyMemory(*memoryOptions)
}

type memoryOptions struct {
	ratio    float64
	provider memlimit.Provider
}

type memoryOptionFunc func(*memoryOptions)

func (f memoryOptionFunc) applyMemory(o *memoryOptions) { f(o) }

// WithMemoryLimitRatio sets the share of the container's memory limit
// given to the runtime, within (0, 1]. Absent: [DefaultMemoryLimitRatio].
func WithMemoryLimitRatio(r float64) MemoryOption {
	return memoryOptionFunc(func(o *memoryOptions) { o.ratio = r })
}

// withCgroupLimit replaces the cgroup lookup, for tests.
func withCgroupLimit(p memlimit.Provider) MemoryOption {
	return memoryOptionFunc(func(o *memoryOptions) { o.provider = p })
}

// ApplyMemoryLimit ties the Go runtime's soft memory limit to the
// container's: when GOMEMLIMIT is unset and the process's cgroup (v2 or v1)
// has a memory limit, it sets the runtime's limit to a ratio of it, so the
// garbage collector works harder as the heap nears the limit instead of
// letting the kernel's OOM killer end the process. Without GOMEMLIMIT and
// without a cgroup limit it changes nothing. The cgroup is read by
// automemlimit's memlimit package, which follows the process's own cgroup
// through /proc/self/mountinfo and takes the tightest limit of its
// ancestors.
//
// It returns what it found and did. A cgroup that cannot be read is not
// an error (the report says why); an invalid ratio is. It sets process
// state: call it once, at start (httpx's Server.Run does, unless
// server.limits.memory_limit_ratio is negative).
func ApplyMemoryLimit(opts ...MemoryOption) (MemoryReport, error) {
	o := memoryOptions{ratio: DefaultMemoryLimitRatio, provider: memlimit.FromCgroup}
	for _, opt := range opts {
		if opt != nil {
			opt.applyMemory(&o)
		}
	}
	rep := MemoryReport{Ratio: o.ratio, GOMAXPROCS: runtime.GOMAXPROCS(0), Source: MemorySourceNone}
	if math.IsNaN(o.ratio) || o.ratio <= 0 || o.ratio > 1 {
		rep.Limit = debug.SetMemoryLimit(-1)
		return rep, fmt.Errorf("limits: memory limit ratio %v is not within (0, 1]", o.ratio)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		rep.Source, rep.Limit = MemorySourceEnv, debug.SetMemoryLimit(-1)
		return rep, nil
	}
	limit, err := o.provider()
	switch {
	case errors.Is(err, memlimit.ErrNoLimit):
		rep.Reason = "the cgroup sets no memory limit"
	case err != nil:
		rep.Reason = err.Error()
	case limit == 0:
		rep.Reason = "the cgroup reports a memory limit of 0"
	default:
		rep.Source, rep.CgroupLimit = MemorySourceCgroup, limit
		rep.Limit = int64(min(float64(limit)*o.ratio, math.MaxInt64))
		debug.SetMemoryLimit(rep.Limit)
		return rep, nil
	}
	rep.Limit = debug.SetMemoryLimit(-1)
	return rep, nil
}
