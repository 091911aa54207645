package tlsx_test

import (
	"testing"
	"time"

	"github.com/harden-go/harden/tlsx"
)

// TestOptionsOnlyFitTheirConstructor proves that an option a source
// would ignore does not compile there: the option values only implement
// the interfaces of the constructors that use them.
func TestOptionsOnlyFitTheirConstructor(t *testing.T) {
	type fits struct{ server, client bool }
	tests := []struct {
		name string
		opt  any
		want fits
	}{
		{"WithLogger", tlsx.WithLogger(nil), fits{true, true}},
		{"WithMeterProvider", tlsx.WithMeterProvider(nil), fits{true, true}},
		{"WithClock", tlsx.WithClock(time.Now), fits{true, true}},
		{"WithHandshakeLogLimit", tlsx.WithHandshakeLogLimit(1), fits{server: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got fits
			_, got.server = tc.opt.(tlsx.ServerOption)
			_, got.client = tc.opt.(tlsx.ClientOption)
			if got != tc.want {
				t.Errorf("fits %+v, want %+v", got, tc.want)
			}
		})
	}
}
