package retry

import (
	"errors"
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/harden-go/harden/internal/units"
)

// Bytes is a size in bytes, written with a unit in config files ("64KiB").
type Bytes = units.Bytes

// KiB is 1024 bytes, for use in Go code: p.MaxReplayBytes = 16 * retry.KiB.
const KiB = units.KiB

// Policy is everything about retries that can be written in a config file,
// under the key "client.retry". The zero value of every field means the
// hardened default documented on the field; a negative value disables the
// feature where the field says so. [DefaultPolicy] returns the defaults
// filled in; [Policy.Validate] reports every inconsistency at once.
type Policy struct {
	// MaxAttempts is the most attempts one request gets, the first
	// included. Zero: 3, the default of the AWS SDKs' "standard" retry
	// mode; more attempts mostly multiply load during an outage. 1 turns
	// retries off (authentication renewal, which is not a retry, still
	// resends once).
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts"`

	// InitialBackoff is the upper bound of the first wait. Zero: 100ms.
	InitialBackoff time.Duration `yaml:"initial_backoff" json:"initial_backoff"`

	// MaxBackoff caps the wait before any one attempt. Zero: 2s, so that
	// three attempts fit well inside a typical 10s client timeout.
	MaxBackoff time.Duration `yaml:"max_backoff" json:"max_backoff"`

	// Multiplier grows the bound between attempts: the n-th wait is drawn
	// below min(MaxBackoff, InitialBackoff*Multiplier^(n-1)). Zero: 2.
	Multiplier float64 `yaml:"multiplier" json:"multiplier"`

	// Jitter is the fraction of each wait that is random, from 0 to 1.
	// Zero: 1, "full jitter", which the AWS Architecture Blog's
	// "Exponential Backoff And Jitter" (Marc Brooker, 2015) shows spreads
	// competing clients best and finishes the work soonest. Negative: no
	// jitter (waits are exactly the bound; only for tests and single
	// clients).
	Jitter float64 `yaml:"jitter" json:"jitter"`

	// PerAttemptTimeout bounds one attempt, up to its response headers and
	// through reading its body. An attempt never runs past the caller's
	// own deadline: its timeout is min(PerAttemptTimeout, time left).
	// Zero or negative: attempts are bounded only by the caller's
	// deadline (http.Client.Timeout or the request context).
	PerAttemptTimeout time.Duration `yaml:"per_attempt_timeout" json:"per_attempt_timeout"`

	// MaxRetryAfter is the longest Retry-After (RFC 9110 §10.2.3) on a 429
	// or 503 that is waited for. A server asking for longer gets its
	// answer handed to the caller at once instead of a goroutine parked
	// for an hour. Zero: 30s, the clamp the AWS SDKs apply to
	// server-suggested delays. Negative: Retry-After is waited for however
	// long it is, still within the caller's deadline.
	MaxRetryAfter time.Duration `yaml:"max_retry_after" json:"max_retry_after"`

	// MaxReplayBytes is the largest request body that is kept so it can
	// be sent again, when the request has no GetBody. The first attempt
	// sends the body at once and keeps a copy of what it sends; a body
	// that grows past this size, fails to read, or does not match the
	// request's ContentLength gets exactly one attempt: a retry never
	// sends a truncated, empty or resized body. Zero: 64KiB, enough for
	// typical JSON API calls while bounding the memory held per request
	// in flight. Negative: never copy; only requests with GetBody (or no
	// body) are retried.
	MaxReplayBytes Bytes `yaml:"max_replay_bytes" json:"max_replay_bytes"`

	// RetryUnsafe allows resending requests whose method is not idempotent
	// (POST, PATCH) and that carry no Idempotency-Key header, after they
	// may have reached the server. Off by default: a POST whose body was
	// written may have been executed (RFC 9110 §9.2.2). Requests that
	// provably never reached the server are resent regardless.
	RetryUnsafe bool `yaml:"retry_unsafe" json:"retry_unsafe"`

	// Budget caps retries per host so that retries cannot multiply an
	// outage.
	Budget BudgetConfig `yaml:"budget" json:"budget"`

	// Throttle refuses attempts locally while the host rejects most of
	// them, so that first attempts, not only retries, back off from an
	// overloaded or failing host.
	Throttle ThrottleConfig `yaml:"throttle" json:"throttle"`
}

// BudgetConfig is a retry budget in the manner of Finagle's RetryBudget and
// Envoy's retry budgets: over a sliding window, per host, retries may add
// at most Ratio of the requests, or MinPerSecond per second when that is
// more (so that a quiet client can still retry). When a backend fails
// every request, a client with the default budget sends at most 1.2 times
// its normal load instead of MaxAttempts times.
type BudgetConfig struct {
	// Ratio is the fraction of requests that may be retried. Zero: 0.2,
	// Finagle's default percentCanRetry and Envoy's default
	// budget_percent. Negative: no budget (only MaxAttempts limits
	// retries).
	Ratio float64 `yaml:"ratio" json:"ratio"`

	// MinPerSecond is the floor of the budget in retries per second.
	// Zero: 10, Finagle's default minRetriesPerSec. Negative: no floor.
	MinPerSecond float64 `yaml:"min_per_second" json:"min_per_second"`

	// Window is the span over which requests and retries are counted.
	// Zero: 10s, Finagle's default ttl.
	Window time.Duration `yaml:"window" json:"window"`
}

// DefaultPolicy returns a fresh Policy with every default filled in.
func DefaultPolicy() Policy { return Policy{}.withDefaults() }

const (
	defaultMaxAttempts    = 3
	defaultInitialBackoff = 100 * time.Millisecond
	defaultMaxBackoff     = 2 * time.Second
	defaultMultiplier     = 2
	defaultJitter         = 1
	defaultMaxRetryAfter  = 30 * time.Second
	defaultMaxReplayBytes = 64 * units.KiB
	defaultBudgetRatio    = 0.2
	defaultBudgetMin      = 10
	defaultBudgetWindow   = 10 * time.Second

	// maxAttemptsLimit keeps a typo (300 for 3) from being a retry storm.
	maxAttemptsLimit = 10
)

func (p Policy) withDefaults() Policy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = defaultMaxAttempts
	}
	if p.InitialBackoff == 0 {
		p.InitialBackoff = defaultInitialBackoff
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = max(defaultMaxBackoff, p.InitialBackoff)
	}
	if p.Multiplier == 0 {
		p.Multiplier = defaultMultiplier
	}
	if p.Jitter == 0 {
		p.Jitter = defaultJitter
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = defaultMaxRetryAfter
	}
	if p.MaxReplayBytes == 0 {
		p.MaxReplayBytes = defaultMaxReplayBytes
	}
	if p.Budget.Ratio == 0 {
		p.Budget.Ratio = defaultBudgetRatio
	}
	if p.Budget.MinPerSecond == 0 {
		p.Budget.MinPerSecond = defaultBudgetMin
	}
	if p.Budget.Window == 0 {
		p.Budget.Window = defaultBudgetWindow
	}
	p.Throttle = p.Throttle.withDefaults()
	return p
}

// Validate reports every problem of p at once, as *[ConfigError] values
// joined with errors.Join, after zero fields take their defaults. A nil
// result means [NewTransport] will accept p. Fields are named as in a
// config file under the key "client.retry".
func (p Policy) Validate() error {
	return errors.Join(p.withDefaults().problems(0)...)
}

// ValidateWithin is Validate plus the rule retries-within-deadline for
// requests that run under an overall deadline total (http.Client.Timeout):
// PerAttemptTimeout must not exceed it, and the worst-case sum of backoff
// waits between MaxAttempts attempts must leave time for the attempts
// themselves, or the last retries a policy promises can never happen.
func (p Policy) ValidateWithin(total time.Duration) error {
	return errors.Join(p.withDefaults().problems(total)...)
}

func (p Policy) problems(total time.Duration) []error {
	ps := &problems{Prefix: "client.retry."}
	if p.MaxAttempts < 1 || p.MaxAttempts > maxAttemptsLimit {
		ps.Add("max_attempts", RuleRange, "is %d; set 1 (no retries) to %d; 3 is the default", p.MaxAttempts, maxAttemptsLimit)
	}
	if p.InitialBackoff < 0 {
		ps.Add("initial_backoff", RuleRange, "is negative (%v); set a first wait such as 100ms", p.InitialBackoff)
	}
	if p.MaxBackoff < 0 {
		ps.Add("max_backoff", RuleRange, "is negative (%v); set a cap such as 2s", p.MaxBackoff)
	} else if p.InitialBackoff > 0 && p.MaxBackoff < p.InitialBackoff {
		ps.Add("max_backoff", RuleBackoffOrder, "%v is below initial_backoff (%v); raise it to at least %v", p.MaxBackoff, p.InitialBackoff, p.InitialBackoff)
	}
	if p.Multiplier < 1 || math.IsNaN(p.Multiplier) || math.IsInf(p.Multiplier, 0) {
		ps.Add("multiplier", RuleRange, "is %v; waits must not shrink: set 1 (constant) or more, 2 is the default", p.Multiplier)
	}
	if p.Jitter > 1 || math.IsNaN(p.Jitter) {
		ps.Add("jitter", RuleRange, "is %v; it is a fraction of the wait: set 1 (full jitter, the default) or less, or -1 for none", p.Jitter)
	}
	if b := p.Budget; b.Ratio > 1 || math.IsNaN(b.Ratio) {
		ps.Add("budget.ratio", RuleRange, "is %v; it is a fraction of requests: set 0.2 (the default) or at most 1, or -1 for no budget", b.Ratio)
	}
	if math.IsNaN(p.Budget.MinPerSecond) || math.IsInf(p.Budget.MinPerSecond, 0) {
		ps.Add("budget.min_per_second", RuleRange, "is %v; set a number of retries per second such as 10", p.Budget.MinPerSecond)
	}
	if p.Budget.Window < time.Second {
		ps.Add("budget.window", RuleRange, "is %v; set at least 1s, 10s is the default", p.Budget.Window)
	}
	if k := p.Throttle.K; (k > 0 && k < 1) || math.IsNaN(k) || math.IsInf(k, 0) {
		ps.Add("throttle.k", RuleRange, "is %v; below 1 the client refuses requests the host would accept: set 2 (the default) or more, or -1 for no throttling", k)
	}
	if p.Throttle.Window < time.Second {
		ps.Add("throttle.window", RuleRange, "is %v; set at least 1s, 2m is the default", p.Throttle.Window)
	}
	if m := p.Throttle.MaxRejection; m > 1 || math.IsNaN(m) {
		ps.Add("throttle.max_rejection", RuleRange, "is %v; it is a probability: set 0.8 (the default) or at most 1, or -1 for no cap", m)
	}
	if m := p.Throttle.MinPerSecond; math.IsNaN(m) || math.IsInf(m, 0) {
		ps.Add("throttle.min_per_second", RuleRange, "is %v; set a number of requests per second such as 1", m)
	}
	if total > 0 {
		if p.PerAttemptTimeout > total {
			ps.Add("per_attempt_timeout", RuleRetriesWithinDeadline,
				"%v exceeds the overall timeout (%v), so the first attempt can use all of it and no retry ever happens; set it to at most %v",
				p.PerAttemptTimeout, total, total/time.Duration(max(p.MaxAttempts, 1)))
		}
		if waits := p.worstWaits(); p.MaxAttempts > 1 && waits >= total {
			ps.Add("max_backoff", RuleRetriesWithinDeadline,
				"the waits between %d attempts can add up to %v, not less than the overall timeout (%v), so the last attempts never start; lower max_backoff or max_attempts",
				p.MaxAttempts, waits, total)
		}
	}
	return ps.Errs()
}

// worstWaits is the sum of the wait bounds between MaxAttempts attempts.
func (p Policy) worstWaits() time.Duration {
	bo := p.schedule(backoff.SystemClock)
	var sum time.Duration
	for n := 1; n < p.MaxAttempts && n <= maxAttemptsLimit; n++ {
		sum += bo.NextBackOff()
	}
	return sum
}

// schedule returns the upper bounds of the waits between attempts, one
// per NextBackOff: InitialBackoff, then times Multiplier, capped at
// MaxBackoff. It is backoff/v4's ExponentialBackOff without its own
// randomization, which [Policy.jitter] replaces (see "Backoff" in the
// package doc), and without MaxElapsedTime, since the caller's deadline
// bounds the retries. c is the Transport's clock.
func (p Policy) schedule(c backoff.Clock) *backoff.ExponentialBackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.InitialBackoff),
		backoff.WithMaxInterval(p.MaxBackoff),
		backoff.WithMultiplier(p.Multiplier),
		backoff.WithRandomizationFactor(0),
		backoff.WithMaxElapsedTime(0),
		backoff.WithClockProvider(c),
	)
}

// jitter draws the wait below bound, with u uniform in [0, 1): the
// fraction Jitter of it is random, from bound*(1-Jitter) to bound.
func (p Policy) jitter(bound time.Duration, u float64) time.Duration {
	if p.Jitter <= 0 {
		return bound
	}
	fixed := float64(bound) * (1 - p.Jitter)
	return time.Duration(fixed + u*(float64(bound)-fixed))
}
