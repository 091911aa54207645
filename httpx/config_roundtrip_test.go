package httpx

import (
	"testing"

	"github.com/harden-go/harden/internal/configtest"
)

func TestDefaultConfigsRoundTrip(t *testing.T) {
	configtest.RoundTrip(t, DefaultServerConfig())
	configtest.RoundTrip(t, DefaultClientConfig())
	disabled := ServerConfig{Timeouts: ServerTimeouts{Handler: -1, Write: -1, Idle: -1}, Limits: ServerLimits{MaxBodyBytes: -1, MinBodyRate: -1}}
	configtest.RoundTrip(t, disabled)
}
