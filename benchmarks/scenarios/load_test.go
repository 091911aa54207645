package scenarios

import (
	"testing"
	"time"
)

func TestTallyP99(t *testing.T) {
	ms := func(n int) []time.Duration {
		l := make([]time.Duration, n)
		for i := range l {
			l[i] = time.Duration(n-i) * time.Millisecond // descending: p99 must sort
		}
		return l
	}
	cases := []struct {
		name string
		lat  []time.Duration
		want time.Duration
	}{
		{name: "none", lat: nil, want: 0},
		{name: "one", lat: ms(1), want: time.Millisecond},
		{name: "hundred", lat: ms(100), want: 99 * time.Millisecond},
		{name: "two hundred", lat: ms(200), want: 198 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (tally{latencies: tc.lat}).p99(); got != tc.want {
				t.Errorf("p99 = %v, want %v", got, tc.want)
			}
		})
	}
}
