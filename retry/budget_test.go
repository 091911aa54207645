package retry

import (
	"testing"
	"time"
)

func TestBudgetWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBudget(BudgetConfig{Ratio: 0.5, MinPerSecond: -1, Window: 10 * time.Second}, func() time.Time { return now })
	for range 10 {
		b.request("h")
	}
	allowed := 0
	for range 20 {
		if b.tryRetry("h") {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("%d retries allowed for 10 requests at 50%%, want 5", allowed)
	}
	if b.tryRetry("other") {
		t.Error("a host with no requests and no floor was allowed a retry")
	}
	// Half a window later nothing has expired.
	now = now.Add(5 * time.Second)
	if b.tryRetry("h") {
		t.Error("retry allowed before the window moved past the spent budget")
	}
	// A whole window later the old requests and retries are forgotten.
	now = now.Add(6 * time.Second)
	for range 2 {
		b.request("h")
	}
	if !b.tryRetry("h") || b.tryRetry("h") {
		t.Error("after the window: want exactly 1 retry for 2 new requests at 50%")
	}
	// Long idle: everything is forgotten at once.
	for range 100 {
		b.request("h")
	}
	now = now.Add(time.Hour)
	if b.tryRetry("h") {
		t.Error("an hour later, old requests still fund retries")
	}
}

func TestBudgetFloor(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBudget(BudgetConfig{Ratio: 0.2, MinPerSecond: 1, Window: 5 * time.Second}, func() time.Time { return now })
	allowed := 0
	for range 20 {
		if b.tryRetry("quiet") {
			allowed++
		}
	}
	if allowed != 5 {
		t.Errorf("%d retries allowed with no requests, want the floor of 1/s over 5s = 5", allowed)
	}
}

func TestBudgetDisabled(t *testing.T) {
	b := newBudget(BudgetConfig{Ratio: -1, Window: time.Second}, time.Now)
	for range 100 {
		if !b.tryRetry("h") {
			t.Fatal("disabled budget refused a retry")
		}
	}
}

func TestBudgetHostTableBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBudget(BudgetConfig{Ratio: 0.2, MinPerSecond: 10, Window: 10 * time.Second}, func() time.Time { return now })
	for i := range 3 * maxWindowHosts {
		b.request(string(rune(i)))
	}
	if len(b.hosts) > maxWindowHosts {
		t.Errorf("%d hosts tracked, want at most %d", len(b.hosts), maxWindowHosts)
	}
}
