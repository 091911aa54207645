package sigv4

import "time"

// Option configures [New] with what cannot be written in a config file.
type Option interface {
	apply(*options)
}

type options struct {
	now func() time.Time
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithClock sets the clock that dates signatures and decides when
// credentials are due for renewal. Nil or absent: time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(o *options) {
		if now != nil {
			o.now = now
		}
	})
}
