package tlsx

import "testing"

// The matcher keeps to segment boundaries by itself, also for a prefix
// without its final slash, which validation refuses before it gets here.
func TestUnderPrefixSegmentBoundary(t *testing.T) {
	tests := []struct {
		uri, prefix string
		want        bool
	}{
		{"spiffe://td/ns/prod/sa/x", "spiffe://td/ns/prod/", true},
		{"spiffe://td/ns/prod/sa/x", "spiffe://td/ns/prod", true},
		{"spiffe://td/ns/production/sa/x", "spiffe://td/ns/prod", false},
		{"spiffe://td/ns/prod", "spiffe://td/ns/prod", false},
		{"spiffe://td/ns/prod", "spiffe://td/ns/prod/", false},
	}
	for _, tc := range tests {
		if got := underPrefix(tc.uri, tc.prefix); got != tc.want {
			t.Errorf("underPrefix(%q, %q) = %v, want %v", tc.uri, tc.prefix, got, tc.want)
		}
	}
}
