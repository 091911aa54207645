package retry

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.yaml.in/yaml/v3"
)

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	want := Policy{
		MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second,
		Multiplier: 2, Jitter: 1, MaxRetryAfter: 30 * time.Second, MaxReplayBytes: 64 * KiB,
		Budget:   BudgetConfig{Ratio: 0.2, MinPerSecond: 10, Window: 10 * time.Second},
		Throttle: ThrottleConfig{K: 2, Window: 2 * time.Minute, MinPerSecond: 1, MaxRejection: 0.8},
	}
	if p != want {
		t.Errorf("DefaultPolicy() = %+v, want %+v", p, want)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("DefaultPolicy().Validate() = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		p     Policy
		total time.Duration
		field string
		rule  string
	}{
		{"attempts negative", Policy{MaxAttempts: -1}, 0, "client.retry.max_attempts", RuleRange},
		{"attempts storm", Policy{MaxAttempts: 300}, 0, "client.retry.max_attempts", RuleRange},
		{"initial negative", Policy{InitialBackoff: -time.Second}, 0, "client.retry.initial_backoff", RuleRange},
		{"max negative", Policy{MaxBackoff: -time.Second}, 0, "client.retry.max_backoff", RuleRange},
		{"max below initial", Policy{InitialBackoff: time.Second, MaxBackoff: time.Millisecond}, 0, "client.retry.max_backoff", RuleBackoffOrder},
		{"multiplier shrinks", Policy{Multiplier: 0.5}, 0, "client.retry.multiplier", RuleRange},
		{"jitter above 1", Policy{Jitter: 1.5}, 0, "client.retry.jitter", RuleRange},
		{"ratio above 1", Policy{Budget: BudgetConfig{Ratio: 2}}, 0, "client.retry.budget.ratio", RuleRange},
		{"window too short", Policy{Budget: BudgetConfig{Window: time.Millisecond}}, 0, "client.retry.budget.window", RuleRange},
		{"attempt timeout above total", Policy{PerAttemptTimeout: 20 * time.Second}, 10 * time.Second, "client.retry.per_attempt_timeout", RuleRetriesWithinDeadline},
		{"waits above total", Policy{MaxAttempts: 5, MaxBackoff: 5 * time.Second, InitialBackoff: 5 * time.Second}, 10 * time.Second, "client.retry.max_backoff", RuleRetriesWithinDeadline},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.ValidateWithin(tc.total)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || ce.Rule != tc.rule {
				t.Fatalf("ValidateWithin = %v, want %s: %s", err, tc.field, tc.rule)
			}
			if _, nerr := NewTransport(nil, tc.p); tc.total == 0 && nerr == nil {
				t.Error("NewTransport accepted the policy")
			}
		})
	}
}

func TestValidateReportsAll(t *testing.T) {
	err := Policy{MaxAttempts: -1, Multiplier: 0.5, Jitter: 2}.Validate()
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ConfigError
		if errors.As(e, &ce) {
			n++
		}
	}
	if n != 3 {
		t.Errorf("got %d problems (%v), want 3", n, err)
	}
}

func TestValidateWithinAcceptsDefaults(t *testing.T) {
	if err := DefaultPolicy().ValidateWithin(10 * time.Second); err != nil {
		t.Errorf("defaults within 10s: %v", err)
	}
}

func TestPolicyDecoding(t *testing.T) {
	const doc = `
max_attempts: 4
initial_backoff: 50ms
max_backoff: 1s
max_replay_bytes: 16KiB
retry_unsafe: true
budget:
  ratio: 0.1
`
	var p Policy
	if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	if p.MaxAttempts != 4 || p.InitialBackoff != 50*time.Millisecond || p.MaxReplayBytes != 16*KiB || !p.RetryUnsafe || p.Budget.Ratio != 0.1 {
		t.Errorf("decoded %+v", p)
	}
	b, err := json.Marshal(Policy{MaxReplayBytes: 64 * KiB})
	if err != nil {
		t.Fatal(err)
	}
	var back Policy
	if err := json.Unmarshal(b, &back); err != nil || back.MaxReplayBytes != 64*KiB {
		t.Errorf("JSON round trip: %s -> %+v, %v", b, back, err)
	}
}

func TestBackoff(t *testing.T) {
	p := DefaultPolicy()
	bounds := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 2 * time.Second, 2 * time.Second}
	bo := p.schedule(backoff.SystemClock)
	for i, want := range bounds {
		got := bo.NextBackOff()
		if got != want {
			t.Errorf("bound %d = %v, want %v", i+1, got, want)
		}
		// Full jitter: anywhere from 0 to the bound.
		if lo, hi := p.jitter(got, 0), p.jitter(got, 0.999999); lo != 0 || hi > want || hi < want*99/100 {
			t.Errorf("wait %d spans [%v, %v], want [0, %v]", i+1, lo, hi, want)
		}
	}
	for range 64 {
		bo.NextBackOff()
	}
	if got := bo.NextBackOff(); got != p.MaxBackoff {
		t.Errorf("after many retries: %v, want the cap %v", got, p.MaxBackoff)
	}
	p.Jitter = 0.5
	if lo := p.jitter(100*time.Millisecond, 0); lo != 50*time.Millisecond {
		t.Errorf("half jitter: lowest wait %v, want 50ms", lo)
	}
	p.Jitter = -1
	if got := p.jitter(400*time.Millisecond, 0.3); got != 400*time.Millisecond {
		t.Errorf("no jitter: %v, want 400ms", got)
	}
	p.Multiplier = 1
	bo = p.schedule(backoff.SystemClock)
	if a, b := bo.NextBackOff(), bo.NextBackOff(); a != p.InitialBackoff || b != p.InitialBackoff {
		t.Errorf("multiplier 1: %v, %v; want constant %v", a, b, p.InitialBackoff)
	}
}
