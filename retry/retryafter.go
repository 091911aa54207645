package retry

import (
	"net/http"
	"strings"
	"time"
)

// maxRetryAfterSeconds bounds a delta-seconds value before it is turned
// into a Duration, so that "99999999999999999999" cannot overflow; any
// value this large is far beyond every sensible MaxRetryAfter anyway.
const maxRetryAfterSeconds = 1 << 31

// parseRetryAfter parses a Retry-After value (RFC 9110 §10.2.3): either
// delta-seconds (1*DIGIT) or an HTTP-date, relative to now. A date in the
// past means zero. ok is false for anything else, including negative or
// fractional numbers, which the grammar does not allow.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		var secs int64
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			if secs < maxRetryAfterSeconds {
				secs = secs*10 + int64(c-'0')
			}
		}
		secs = min(secs, maxRetryAfterSeconds)
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}
