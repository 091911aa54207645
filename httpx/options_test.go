package httpx

import (
	"testing"

	"go.uber.org/zap"
)

// TestOptionsOnlyFitTheirConstructor proves that an option a constructor
// would ignore does not compile there: the option values only implement
// the interfaces of the constructors that use them.
func TestOptionsOnlyFitTheirConstructor(t *testing.T) {
	tests := []struct {
		name         string
		opt          any
		server, admn bool
	}{
		{"WithLogger", WithLogger(zap.NewNop()), true, true},
		{"WithReadiness", WithReadiness(), false, true},
		{"WithTLSConfig", WithTLSConfig(nil), true, false},
		{"WithTLSSource", WithTLSSource(nil), true, false},
		{"WithTracerProvider", WithTracerProvider(nil), true, false},
		{"WithMeterProvider", WithMeterProvider(nil), true, false},
		{"WithPropagators", WithPropagators(nil), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, server := tc.opt.(ServerOption)
			_, admin := tc.opt.(AdminOption)
			if server != tc.server || admin != tc.admn {
				t.Errorf("ServerOption %v, AdminOption %v; want %v, %v", server, admin, tc.server, tc.admn)
			}
		})
	}
}
