package tlsx

import (
	"testing"

	"github.com/harden-go/harden/internal/configtest"
)

func TestDefaultConfigsRoundTrip(t *testing.T) {
	configtest.RoundTrip(t, DefaultServerConfig("server.crt", "server.key"))
	configtest.RoundTrip(t, DefaultClientConfig())
	configtest.RoundTrip(t, ServerConfig{ReloadInterval: -1})
}
