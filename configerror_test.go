package harden

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestConfigErrors(t *testing.T) {
	a := &ConfigError{Field: "server.timeouts.write", Rule: "write-after-handler", Reason: "too short"}
	b := &ConfigError{Field: "tls.cert_file", Rule: RuleRequired, Reason: "is empty"}
	c := &ConfigError{Field: "client.retry.max_attempts", Rule: RuleRange, Reason: "is 0"}
	other := errors.New("not a config problem")
	tests := []struct {
		name string
		err  error
		want []*ConfigError
	}{
		{"nil", nil, nil},
		{"unrelated", other, nil},
		{"one", a, []*ConfigError{a}},
		{"joined", errors.Join(a, other, b), []*ConfigError{a, b}},
		{"wrapped join", fmt.Errorf("loading: %w", errors.Join(a, b)), []*ConfigError{a, b}},
		{"nested joins", errors.Join(errors.Join(a), fmt.Errorf("x: %w", errors.Join(b, c))), []*ConfigError{a, b, c}},
		{"two wrapped", fmt.Errorf("%w and %w", a, c), []*ConfigError{a, c}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ConfigErrors(tc.err); !slices.Equal(got, tc.want) {
				t.Errorf("ConfigErrors = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConfigErrorString(t *testing.T) {
	err := &ConfigError{Field: "server.timeouts.write", Rule: "write-after-handler", Reason: "1s is too short"}
	if got, want := err.Error(), "server.timeouts.write: write-after-handler: 1s is too short"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
