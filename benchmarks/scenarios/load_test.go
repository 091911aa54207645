package scenarios

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
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

// The legitimate client calls the attacked server and a twin of it at the
// same moments: a second instance of the same target, so each server gets
// exactly one request of each pair, and the ratio is the attacked
// server's p99 over the twin's. The target here makes its first instance
// (the one the scenario attacks) slow and lose requests, and the twin
// neither, so a probe that measured one server twice, or the twin as the
// attacked one, fails.
func TestLegitProbeAgainstTwin(t *testing.T) {
	const delay = 20 * time.Millisecond
	for _, name := range []string{Unattacked, H2Unattacked} {
		t.Run(name, func(t *testing.T) {
			var (
				mu     sync.Mutex
				served []int // "/" requests served, by instance
			)
			zero := ZeroValue()
			target := Target{
				Name: "first instance slow",
				Serve: func(l net.Listener, h http.Handler) (func(context.Context) error, error) {
					mu.Lock()
					i := len(served)
					served = append(served, 0)
					mu.Unlock()
					return zero.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/" {
							mu.Lock()
							served[i]++
							n := served[i]
							mu.Unlock()
							if i == 0 {
								time.Sleep(delay)
								if n%10 == 0 {
									w.WriteHeader(http.StatusInternalServerError)
									return
								}
							}
						}
						h.ServeHTTP(w, r)
					}))
				},
			}
			s, _ := Find(name)
			o := s.Run(context.Background(), target, testBounds)

			_, least := testBounds.legitProbe()
			mu.Lock()
			defer mu.Unlock()
			if len(served) != 2 || served[0] != o.Sent || served[1] != o.Sent {
				t.Fatalf("requests served by each instance %v, legitimate requests %d; want two instances each sent every request", served, o.Sent)
			}
			if o.Sent < least || o.Lost != o.Sent/10 {
				t.Errorf("sent %d, lost %d; want at least %d sent and every tenth lost", o.Sent, o.Lost, least)
			}
			if o.LegitP99 < delay || o.UnattackedP99 <= 0 {
				t.Errorf("p99 %v, unattacked twin's %v; want the slow instance's at least %v and the twin's measured", o.LegitP99, o.UnattackedP99, delay)
			}
			if want := float64(o.LegitP99) / float64(o.UnattackedP99); o.LegitP99VsUnattacked != want {
				t.Errorf("ratio %v, want %v", o.LegitP99VsUnattacked, want)
			}
			if !strings.Contains(o.Summary, "unattacked twin") {
				t.Errorf("summary %q does not give the twin's figure", o.Summary)
			}
		})
	}
}
