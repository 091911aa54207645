package limits

import (
	"testing"

	"github.com/harden-go/harden/internal/configtest"
)

func TestProgressConfigRoundTrip(t *testing.T) {
	configtest.RoundTrip(t, ProgressConfig{}.WithDefaults())
	configtest.RoundTrip(t, ProgressConfig{StallTimeout: -1, MinRate: -1, Window: 1500000000})
}

func TestConcurrencyConfigRoundTrip(t *testing.T) {
	configtest.RoundTrip(t, ConcurrencyConfig{}.WithDefaults())
	configtest.RoundTrip(t, ConcurrencyConfig{BacklogTimeout: -1, Exempt: []string{"GET /healthz"}})
}
