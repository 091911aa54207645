package retry

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/harden-go/harden"
	"go.yaml.in/yaml/v3"
)

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	want := Policy{
		MaxAttempts: 3, InitialBackoff: 100 * harden.Millisecond, MaxBackoff: 2 * harden.Second,
		Multiplier: 2, Jitter: 1, MaxRetryAfter: 30 * harden.Second, MaxReplayBytes: 64 * harden.KiB,
		Budget:   BudgetConfig{Ratio: 0.2, MinPerSecond: 10, Window: 10 * harden.Second},
		Throttle: ThrottleConfig{K: 2, Window: 2 * harden.Minute, MinPerSecond: 1, MaxRejection: 0.8},
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
		{"attempts negative", Policy{MaxAttempts: -1}, 0, "client.retry.max_attempts", harden.RuleRange},
		{"attempts storm", Policy{MaxAttempts: 300}, 0, "client.retry.max_attempts", harden.RuleRange},
		{"initial negative", Policy{InitialBackoff: -harden.Second}, 0, "client.retry.initial_backoff", harden.RuleRange},
		{"max negative", Policy{MaxBackoff: -harden.Second}, 0, "client.retry.max_backoff", harden.RuleRange},
		{"max below initial", Policy{InitialBackoff: harden.Second, MaxBackoff: harden.Millisecond}, 0, "client.retry.max_backoff", RuleBackoffOrder},
		{"multiplier shrinks", Policy{Multiplier: 0.5}, 0, "client.retry.multiplier", harden.RuleRange},
		{"jitter above 1", Policy{Jitter: 1.5}, 0, "client.retry.jitter", harden.RuleRange},
		{"ratio above 1", Policy{Budget: BudgetConfig{Ratio: 2}}, 0, "client.retry.budget.ratio", harden.RuleRange},
		{"window too short", Policy{Budget: BudgetConfig{Window: harden.Millisecond}}, 0, "client.retry.budget.window", harden.RuleRange},
		{"attempt timeout above total", Policy{PerAttemptTimeout: 20 * harden.Second}, 10 * time.Second, "client.retry.per_attempt_timeout", RuleRetriesWithinDeadline},
		{"waits above total", Policy{MaxAttempts: 5, MaxBackoff: 5 * harden.Second, InitialBackoff: 5 * harden.Second}, 10 * time.Second, "client.retry.max_backoff", RuleRetriesWithinDeadline},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.ValidateWithin(harden.Duration(tc.total))
			var ce *harden.ConfigError
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
	n := len(harden.ConfigErrors(err))
	if n != 3 {
		t.Errorf("got %d problems (%v), want 3", n, err)
	}
}

func TestValidateWithinAcceptsDefaults(t *testing.T) {
	if err := DefaultPolicy().ValidateWithin(10 * harden.Second); err != nil {
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
	if p.MaxAttempts != 4 || p.InitialBackoff != 50*harden.Millisecond || p.MaxReplayBytes != 16*harden.KiB || !p.RetryUnsafe || p.Budget.Ratio != 0.1 {
		t.Errorf("decoded %+v", p)
	}
	b, err := json.Marshal(Policy{MaxReplayBytes: 64 * harden.KiB})
	if err != nil {
		t.Fatal(err)
	}
	var back Policy
	if err := json.Unmarshal(b, &back); err != nil || back.MaxReplayBytes != 64*harden.KiB {
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
	if got := bo.NextBackOff(); got != p.MaxBackoff.Std() {
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
	if a, b := bo.NextBackOff(), bo.NextBackOff(); a != p.InitialBackoff.Std() || b != p.InitialBackoff.Std() {
		t.Errorf("multiplier 1: %v, %v; want constant %v", a, b, p.InitialBackoff)
	}
}
