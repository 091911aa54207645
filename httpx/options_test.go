package httpx

import (
	"context"
	"testing"

	"go.uber.org/zap"
)

// TestOptionsOnlyFitTheirConstructor proves that an option a constructor
// would ignore does not compile there: the option values only implement
// the interfaces of the constructors that use them.
func TestOptionsOnlyFitTheirConstructor(t *testing.T) {
	type fits struct{ server, admin, transport, client bool }
	tests := []struct {
		name string
		opt  any
		want fits
	}{
		{"WithLogger", WithLogger(zap.NewNop()), fits{true, true, true, true}},
		{"WithReadiness", WithReadiness(), fits{admin: true}},
		{"WithTLSConfig", WithTLSConfig(nil), fits{server: true}},
		{"WithTLSSource", WithTLSSource(nil), fits{server: true}},
		{"WithTracerProvider", WithTracerProvider(nil), fits{server: true, client: true}},
		{"WithMeterProvider", WithMeterProvider(nil), fits{server: true, client: true}},
		{"WithPropagators", WithPropagators(nil), fits{server: true, client: true}},
		{"WithClientTLSSource", WithClientTLSSource(nil), fits{transport: true, client: true}},
		{"WithContext", WithContext(context.Background()), fits{transport: true, client: true}},
		{"WithAuthenticator", WithAuthenticator(nil), fits{client: true}},
		{"WithBaseTransport", WithBaseTransport(nil), fits{client: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got fits
			_, got.server = tc.opt.(ServerOption)
			_, got.admin = tc.opt.(AdminOption)
			_, got.transport = tc.opt.(TransportOption)
			_, got.client = tc.opt.(ClientOption)
			if got != tc.want {
				t.Errorf("fits %+v, want %+v", got, tc.want)
			}
		})
	}
}
