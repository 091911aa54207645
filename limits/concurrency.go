package limits

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/configerr"
	"github.com/harden-go/harden/internal/defaults"
	"github.com/harden-go/harden/internal/problem"
	hrw "github.com/harden-go/harden/internal/rw"
)

// CodeOverloaded is the code member of the problem answer (503 Service
// Unavailable) that [Concurrency] writes for a request it sheds.
const CodeOverloaded = "overloaded"

// Modes of [ConcurrencyConfig].
const (
	ModeAdaptive = "adaptive"
	ModeStatic   = "static"
)

// Defaults of [ConcurrencyConfig].
const (
	defaultMaxConcurrency = 1000
	defaultMinConcurrency = 20 // Gradient2's minLimit
	defaultBacklog        = 100
	sampleWindow          = 100 * time.Millisecond // Envoy's concurrency_update_interval
	windowSamples         = 10                     // concurrency-limits' WindowedLimit windowSize
)

// DefaultBacklogTimeout is [ConcurrencyConfig.BacklogTimeout] when zero:
// 1s, concurrency-limits' LifoBlockingLimiter maxBacklogTimeout. httpx
// derives a shorter one when its write grace is short.
const DefaultBacklogTimeout = harden.Second

// ConcurrencyConfig is how many requests [Concurrency] lets in at once.
// The zero value is the hardened default: an adaptive limit between 20
// and 1000, starting at 1000, with a backlog of 100 waiting up to 1s.
type ConcurrencyConfig struct {
	// Mode is "adaptive" (the limit follows latency, see the package
	// doc) or "static" (the limit is Max). Empty: adaptive.
	Mode string `json:"mode" yaml:"mode"`

	// Max is the static limit, or the ceiling of the adaptive one. Zero:
	// 1000, five times Gradient2's default ceiling of 200, because an
	// in-flight request costs a goroutine rather than a thread.
	// Negative: no limit, nothing is shed.
	Max int `json:"max" yaml:"max"`

	// Min is the floor of the adaptive limit, so a burst of slow
	// requests cannot shut the server. Zero: 20, Gradient2's minLimit
	// (or Max when that is lower). Negative, or above Max, is refused.
	Min int `json:"min" yaml:"min"`

	// Initial is the adaptive limit at start. Zero: Max, so that a
	// server sheds nothing until its latency says it must; Gradient2's
	// initialLimit of 20 would shed a server that merely holds more
	// long requests (streams, long polls) than that. Outside Min..Max
	// is refused.
	Initial int `json:"initial" yaml:"initial"`

	// Backlog is how many requests may wait for a slot; the newest is
	// served first. Zero: 100, concurrency-limits' LifoBlockingLimiter
	// backlogSize. Negative: no backlog, a request beyond the limit is
	// shed at once.
	Backlog int `json:"backlog" yaml:"backlog"`

	// BacklogTimeout is the longest a request waits in the backlog
	// before it is shed. Zero: 1s, LifoBlockingLimiter's
	// maxBacklogTimeout. Negative: no backlog.
	BacklogTimeout harden.Duration `json:"backlog_timeout" yaml:"backlog_timeout"`

	// Exempt lists route patterns, in [http.ServeMux] syntax ("GET
	// /healthz", "/admin/"), whose requests are never shed nor counted:
	// health checks must keep answering while the server sheds. Empty:
	// none.
	Exempt []string `json:"exempt" yaml:"exempt"`
}

// Validate reports every problem of c at once, as [*harden.ConfigError] values
// joined with errors.Join, fields named by their YAML keys
// ("concurrency.min").
func (c ConcurrencyConfig) Validate() error {
	p := &configerr.Problems{Prefix: "concurrency."}
	bad := func(field, format string, args ...any) { p.Add(field, harden.RuleRange, format, args...) }
	if c.Mode != "" && c.Mode != ModeAdaptive && c.Mode != ModeStatic {
		bad("mode", "%q is neither %q nor %q", c.Mode, ModeAdaptive, ModeStatic)
	}
	s := c.settings()
	if s.max > 0 && s.mode == ModeAdaptive {
		if c.Min < 0 || s.min > s.max {
			bad("min", "%d must lie within 1..max (%d)", c.Min, s.max)
		}
		if c.Initial < 0 || s.initial < s.min || s.initial > s.max {
			bad("initial", "%d must lie within min..max (%d..%d)", c.Initial, s.min, s.max)
		}
	}
	if _, err := exemptMux(c.Exempt); err != nil {
		bad("exempt", "%v; write ServeMux patterns such as \"GET /healthz\"", err)
	}
	return p.Err()
}

// WithDefaults returns c with every zero field replaced by its default,
// as [Concurrency] applies them, so the effective config can be printed.
func (c ConcurrencyConfig) WithDefaults() ConcurrencyConfig {
	if c.Mode == "" {
		c.Mode = ModeAdaptive
	}
	defaults.Set(&c.Max, defaultMaxConcurrency)
	if c.Min == 0 {
		c.Min = min(defaultMinConcurrency, max(c.Max, 1))
	}
	if c.Initial == 0 {
		c.Initial = max(c.Max, 1)
	}
	defaults.Set(&c.Backlog, defaultBacklog)
	defaults.Set(&c.BacklogTimeout, DefaultBacklogTimeout)
	return c
}

// concurrencySettings is a ConcurrencyConfig with defaults applied.
type concurrencySettings struct {
	mode           string
	max, min       int
	initial        int
	backlog        int
	backlogTimeout time.Duration
}

func (c ConcurrencyConfig) settings() concurrencySettings {
	c = c.WithDefaults()
	s := concurrencySettings{mode: c.Mode, max: c.Max, min: c.Min, initial: c.Initial, backlog: c.Backlog, backlogTimeout: c.BacklogTimeout.Std()}
	if s.backlog < 0 || s.backlogTimeout < 0 {
		s.backlog, s.backlogTimeout = 0, 0
	}
	return s
}

// exemptMux is a mux with a route for each exempt pattern, whose matching
// is exactly the application's ServeMux's. It refuses invalid and
// conflicting patterns, which ServeMux.Handle would panic on.
func exemptMux(patterns []string) (mux *http.ServeMux, err error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	mux = http.NewServeMux()
	for _, p := range patterns {
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = errors.Join(err, fmt.Errorf("pattern %q: %v", p, r))
				}
			}()
			mux.Handle(p, http.NotFoundHandler())
		}()
	}
	return mux, err
}

// Concurrency returns middleware that bounds the requests the next
// handler serves at once and sheds the rest, so that under overload the
// server keeps answering the requests it admits at the latency of its
// capacity instead of queuing everyone until they time out.
//
// A request beyond the limit waits in a backlog, newest first, for at
// most BacklogTimeout; when the backlog is full its oldest waiter is shed
// to make room. A shed request is answered at once with 503 Service
// Unavailable as application/problem+json (code [CodeOverloaded]) with
// Retry-After: 1. In adaptive mode the limit follows the handlers'
// latency and server-side failures, as the package doc describes;
// requests of the Exempt patterns pass uncounted.
//
// It panics if cfg is invalid ([ConcurrencyConfig.Validate]); package
// httpx validates it first. The limit, in-flight, queued and shed counts
// are metrics of the meter provider of [WithMeterProvider]. The
// middleware is safe for concurrent use; it starts no goroutine.
func Concurrency(cfg ConcurrencyConfig, opts ...Option) func(http.Handler) http.Handler {
	if err := cfg.Validate(); err != nil {
		panic("limits: " + err.Error())
	}
	o := newOptions(opts)
	exempt, _ := exemptMux(cfg.Exempt)
	s := cfg.settings()
	return func(next http.Handler) http.Handler {
		if s.max < 0 {
			return next
		}
		return newLimiter(s, exempt, o).handler(next)
	}
}

// handler is the middleware of l around next.
func (l *limiter) handler(next http.Handler) http.Handler {
	// The adaptive limit needs the status of each answer: from next
	// itself when it can tell (the handler timeout), or else from a
	// writer that notes it.
	sh, _ := next.(hrw.StatusHandler)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.exempt != nil {
			if _, pattern := l.exempt.Handler(r); pattern != "" {
				next.ServeHTTP(w, r)
				return
			}
		}
		switch v := l.acquire(r.Context()); v {
		case admitted:
		case abandoned:
			return // the client is gone: nobody to answer
		default:
			// One second: a slot frees as soon as any request ends,
			// and a client that retries sooner only adds load.
			w.Header().Set("Retry-After", "1")
			problem.Write(w, r, http.StatusServiceUnavailable, CodeOverloaded, v.detail())
			return
		}
		start := time.Now()
		status, returned := 0, false
		defer func() {
			// After a panic too, so the slot is never lost; a panic
			// counts as a server-side failure.
			out := dropped
			if returned {
				out = classify(r.Context(), status)
			}
			l.release(start, out)
		}()
		switch {
		case sh != nil:
			status = sh.ServeStatus(w, r, start)
		case l.adaptive == nil:
			// A static limit counts no outcome.
			next.ServeHTTP(w, r)
		default:
			// A guard that never trips: it only notes the status the
			// handler sends, so it needs no snapshot of the headers.
			g := &guard{ResponseWriter: w, req: r}
			next.ServeHTTP(g, r)
			status = g.sentStatus()
		}
		returned = true
	})
}

// outcome is how a completed request counts for the adaptive limit.
type outcome int

const (
	success outcome = iota // its latency is a sample
	dropped                // a server-side failure
	ignored                // the client gave up: its latency says nothing
)

// classify counts a handler timeout or a 5xx the handler wrote as a
// server-side failure; 4xx answers are the client's fault, and a request
// whose client went away measures nothing.
func classify(ctx context.Context, status int) outcome {
	switch {
	case status >= 500:
		return dropped
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return dropped
	case ctx.Err() != nil:
		return ignored
	}
	return success
}

// verdict is what acquire decided for a request.
type verdict int

const (
	admitted      verdict = iota
	shedAtLimit           // no backlog: beyond the limit
	shedTimedOut          // waited BacklogTimeout
	shedDisplaced         // a newer request took its place in a full backlog
	abandoned             // the client went away while it waited
)

func (v verdict) detail() string {
	switch v {
	case shedTimedOut:
		return "the server is at its concurrency limit and no slot freed within the backlog timeout"
	case shedDisplaced:
		return "the server is at its concurrency limit and newer requests took the backlog"
	}
	return "the server is at its concurrency limit"
}

func (v verdict) reason() string {
	switch v {
	case shedTimedOut:
		return "backlog_timeout"
	case shedDisplaced:
		return "backlog_full"
	}
	return "limit"
}

// waiter is a request in the backlog. ready is closed once the limiter
// has decided for it, in v.
type waiter struct {
	ready chan struct{}
	v     verdict
}

// limiter holds the slots and the backlog of one Concurrency middleware.
type limiter struct {
	set    concurrencySettings
	exempt *http.ServeMux // nil: nothing is exempt
	m      *concurrencyMetrics

	mu       sync.Mutex
	limit    int
	inflight int
	backlog  []*waiter // oldest first
	adaptive *gradient // nil in static mode

	// stallFrom is when the adaptive limit was reached with no request
	// completed since, moved on by each raise; zero once one completes.
	stallFrom time.Time

	// the current sampling window
	windowStart time.Time
	samples     int
	rttSum      time.Duration
	maxInflight int
	drops       bool
}

func newLimiter(s concurrencySettings, exempt *http.ServeMux, o options) *limiter {
	l := &limiter{set: s, exempt: exempt, limit: s.max, windowStart: time.Now()}
	if s.mode == ModeAdaptive {
		l.adaptive = newGradient(s.initial, s.min, s.max)
		l.limit = s.initial
	}
	l.m = newConcurrencyMetrics(o.meterProvider(), l)
	return l
}

// acquire takes a slot for a request, waiting in the backlog if allowed.
func (l *limiter) acquire(ctx context.Context) verdict {
	l.mu.Lock()
	if l.inflight < l.limit || l.stalledLocked() {
		l.admitLocked()
		// After a raise, waiters take what this request left (the
		// backlog is LIFO: the newest goes first).
		l.wakeLocked()
		l.mu.Unlock()
		return admitted
	}
	if l.set.backlog == 0 {
		l.mu.Unlock()
		l.m.shed(ctx, shedAtLimit)
		return shedAtLimit
	}
	if len(l.backlog) >= l.set.backlog {
		// Under LIFO the oldest waiter is the least likely to be served
		// and the likeliest to have been given up on by its client.
		l.decideLocked(l.backlog[0], shedDisplaced)
		l.backlog = l.backlog[1:]
	}
	w := &waiter{ready: make(chan struct{})}
	l.backlog = append(l.backlog, w)
	l.mu.Unlock()

	t := time.NewTimer(l.set.backlogTimeout)
	defer t.Stop()
	var v verdict
	select {
	case <-w.ready:
		v = w.v
	case <-t.C:
		v = l.leave(w, shedTimedOut)
	case <-ctx.Done():
		v = l.leave(w, abandoned)
	}
	if v != admitted && v != abandoned {
		l.m.shed(ctx, v)
	}
	return v
}

// leave takes w out of the backlog with verdict v, unless the limiter
// decided for it first, in which case that decision stands.
func (l *limiter) leave(w *waiter, v verdict) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-w.ready:
		if w.v == admitted && v == abandoned {
			// Admitted just as its client left: give the slot back.
			l.inflight--
			l.wakeLocked()
			return abandoned
		}
		return w.v
	default:
	}
	for i, b := range l.backlog {
		if b == w {
			l.backlog = append(l.backlog[:i], l.backlog[i+1:]...)
			break
		}
	}
	l.decideLocked(w, v)
	return v
}

// stalledLocked reports whether the adaptive limit was raised because
// it was reached and no request has completed since, for a stall period
// (a sampling window, or twice the long-term latency when that is
// longer, so that slow requests completing in bursts do not count): the
// limit then rises by the queue size for each such period. Time before
// the limit was reached (a quiet spell) does not count.
// Requests that hold their slots without completing (a stuck
// dependency, or handlers held by one client) would otherwise keep a
// limit that fell below them there, with no completion to close a window
// and raise it, and every other request would be shed until they end;
// a server so saturated that nothing completes in a window takes a few
// requests more per window, which the next closed window corrects.
// l.mu is held; the clock is read only at the limit.
func (l *limiter) stalledLocked() bool {
	if l.adaptive == nil {
		return false
	}
	now := time.Now()
	if l.stallFrom.IsZero() {
		l.stallFrom = now
		return false
	}
	period := max(sampleWindow, 2*l.adaptive.longTerm())
	periods := int(now.Sub(l.stallFrom) / period)
	if periods == 0 {
		return false
	}
	l.stallFrom = l.stallFrom.Add(time.Duration(periods) * period)
	l.limit = l.adaptive.raise(periods)
	return l.inflight < l.limit
}

func (l *limiter) decideLocked(w *waiter, v verdict) {
	w.v = v
	close(w.ready)
}

func (l *limiter) admitLocked() {
	l.inflight++
	l.maxInflight = max(l.maxInflight, l.inflight)
}

// wakeLocked admits waiters, newest first, while there is room.
func (l *limiter) wakeLocked() {
	for len(l.backlog) > 0 && l.inflight < l.limit {
		w := l.backlog[len(l.backlog)-1]
		l.backlog = l.backlog[:len(l.backlog)-1]
		l.admitLocked()
		l.decideLocked(w, admitted)
	}
}

// release frees the slot of a request that was admitted at start and,
// in adaptive mode, samples the request.
func (l *limiter) release(start time.Time, out outcome) {
	var now time.Time
	if l.adaptive != nil && out != ignored {
		now = time.Now() // outside the lock
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	if !now.IsZero() {
		l.stallFrom = time.Time{}
		l.samples++
		l.rttSum += now.Sub(start)
		l.drops = l.drops || out == dropped
		if now.Sub(l.windowStart) >= sampleWindow && l.samples >= windowSamples {
			next := l.adaptive.update(windowSample{
				rtt:         l.rttSum / time.Duration(l.samples),
				maxInflight: l.maxInflight,
				dropped:     l.drops,
			})
			l.limit = next
			l.windowStart, l.samples, l.rttSum, l.maxInflight, l.drops = now, 0, 0, l.inflight, false
		}
	}
	l.wakeLocked()
}

// state returns the limit, in-flight and queued counts, for metrics and
// tests.
func (l *limiter) state() (limit, inflight, queued int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, l.inflight, len(l.backlog)
}
