package harden_test

import (
	"encoding/json"
	"fmt"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/httpx"
)

// A config written as JSON takes the units a YAML file does, and is
// written back in them.
func ExampleDuration() {
	var limits struct {
		Timeout harden.Duration `json:"timeout"`
		MaxBody harden.Bytes    `json:"max_body"`
		MinRate harden.Rate     `json:"min_rate"`
	}
	err := json.Unmarshal([]byte(`{"timeout": "1m30s", "max_body": "8MiB", "min_rate": "1KiB/s"}`), &limits)
	fmt.Println(err, limits.Timeout.Std(), int64(limits.MaxBody), int64(limits.MinRate))
	limits.Timeout = -1 * harden.Second // disabled
	out, _ := json.Marshal(limits)
	fmt.Println(string(out))
	// Output:
	// <nil> 1m30s 8388608 1024
	// {"timeout":"-1s","max_body":"8MiB","min_rate":"1KiB/s"}
}

// Every problem of a config at once, whichever package found it.
func ExampleConfigErrors() {
	cfg := httpx.DefaultServerConfig()
	cfg.Timeouts.ReadHeader = -1
	cfg.Shutdown.Timeout = -1
	for _, ce := range harden.ConfigErrors(cfg.Validate()) {
		fmt.Println(ce.Field, ce.Rule)
	}
	// Output:
	// server.timeouts.read_header header-timeout
	// server.shutdown.timeout range
}
