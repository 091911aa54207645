package sigv4

import (
	"testing"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/configtest"
)

func TestConfigRoundTrip(t *testing.T) {
	configtest.RoundTrip(t, Config{Region: "us-east-1", Service: "s3", RenewBefore: 5 * harden.Minute})
	configtest.RoundTrip(t, Config{RenewBefore: -1})
}
