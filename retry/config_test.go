package retry

import (
	"testing"

	"github.com/harden-go/harden/internal/configtest"
)

func TestDefaultPolicyRoundTrip(t *testing.T) {
	configtest.RoundTrip(t, DefaultPolicy())
	configtest.RoundTrip(t, Policy{PerAttemptTimeout: -1, MaxRetryAfter: -1, MaxReplayBytes: -1})
}
