package middleware

import (
	"testing"

	"github.com/harden-go/harden/internal/configtest"
)

func TestDefaultConfigRoundTrip(t *testing.T) {
	configtest.RoundTrip(t, DefaultConfig{}.WithDefaults())
	configtest.RoundTrip(t, DefaultConfig{HandlerTimeout: -1, MaxBodyBytes: -1})
}
