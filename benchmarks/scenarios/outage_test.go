package scenarios

import (
	"testing"
	"time"
)

// go-retryablehttp's defaults over a 2.5s outage: attempts at 0s and 1s
// fall inside it, the next at 3s, half a second after it.
func TestRetryablehttpOutageModel(t *testing.T) {
	rate, rec := retryablehttpOutage(2500 * time.Millisecond)
	if want := 2.0 * outageCallers / 2.5; rate != want || rec != 500*time.Millisecond {
		t.Errorf("modelled %v/s, recovery %v; want %v/s, 500ms", rate, rec, want)
	}
}

// Recovery is the start of the first span after the outage in which 90%
// of the calls succeeded; calls before the outage's end do not count.
func TestRecovery(t *testing.T) {
	over := time.Unix(100, 0)
	at := func(d time.Duration, ok bool) call { return call{end: over.Add(d), ok: ok} }
	tests := []struct {
		name  string
		calls []call
		want  time.Duration
	}{
		{"at once", []call{at(-time.Second, false), at(10*time.Millisecond, true)}, 1},
		{"third span", []call{at(50*time.Millisecond, false), at(150*time.Millisecond, true), at(160*time.Millisecond, false),
			at(250*time.Millisecond, true), at(260*time.Millisecond, true)}, 200 * time.Millisecond},
		{"never", []call{at(50*time.Millisecond, false), at(150*time.Millisecond, false)}, 0},
		{"no call after", []call{at(-time.Millisecond, true)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := recovery(tc.calls, over); got != tc.want {
				t.Errorf("recovery = %v, want %v", got, tc.want)
			}
		})
	}
}
