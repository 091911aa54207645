package httpx

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/harden-go/harden"
)

// The test a new user writes: a JSON file that changes one field, in the
// units a YAML file uses, over the zero config (every default),
// http.DefaultClient. The handler timeout of the file answers the request
// that outlives it.
func TestJSONConfigOneChangedField(t *testing.T) {
	var cfg ServerConfig
	if err := json.Unmarshal([]byte(`{"timeouts": {"handler": "100ms"}, "shutdown": {"drain_delay": "-1s"}}`), &cfg); err != nil {
		t.Fatalf("decoding the JSON config: %v", err)
	}
	if cfg.Timeouts.Handler != 100*harden.Millisecond || cfg.Shutdown.DrainDelay != -harden.Second {
		t.Fatalf("decoded handler %v, drain_delay %v", cfg.Timeouts.Handler, cfg.Shutdown.DrainDelay)
	}
	_, addr := serve(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	resp, err := http.DefaultClient.Get("http://" + addr + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "handler_timeout") {
		t.Errorf("status %d body %q, want 503 handler_timeout", resp.StatusCode, body)
	}

	out, err := json.Marshal(cfg.Timeouts)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"handler":"100ms"`; !strings.Contains(string(out), want) {
		t.Errorf("json.Marshal(timeouts) = %s, want it to contain %s", out, want)
	}
}
