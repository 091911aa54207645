package tlsx

import (
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// Warnings come at 30, 7 and 1 days left, once each per certificate,
// and again for a new certificate.
func TestExpiryThresholds(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	log := zap.New(core)
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(1), NotAfter: now.Add(60 * 24 * time.Hour)}
	var w expiryWarner
	steps := []struct {
		left time.Duration
		want []time.Duration // thresholds warned so far
	}{
		{40 * 24 * time.Hour, nil},
		{30 * 24 * time.Hour, []time.Duration{30 * 24 * time.Hour}},
		{20 * 24 * time.Hour, []time.Duration{30 * 24 * time.Hour}},
		{6 * 24 * time.Hour, []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour}},
		{5 * 24 * time.Hour, []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour}},
		{time.Hour, []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}},
		{-time.Hour, []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}},
	}
	for _, s := range steps {
		w.check(log, "server", leaf, leaf.NotAfter.Add(-s.left))
		var got []time.Duration
		for _, e := range logs.All() {
			got = append(got, e.ContextMap()["threshold"].(time.Duration))
		}
		if len(got) != len(s.want) {
			t.Fatalf("%v left: warned at %v, want %v", s.left, got, s.want)
		}
		for i := range got {
			if got[i] != s.want[i] {
				t.Fatalf("%v left: warned at %v, want %v", s.left, got, s.want)
			}
		}
	}
	renewed := &x509.Certificate{SerialNumber: big.NewInt(2), NotAfter: now.Add(20 * 24 * time.Hour)}
	w.check(log, "server", renewed, now)
	if n := logs.Len(); n != 4 {
		t.Errorf("a new certificate inside 30 days: %d warnings in all, want 4", n)
	}
}
