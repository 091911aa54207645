package tlsx

import "time"

// WithTicks replaces the poll timer with ticks, so tests drive polling
// without waiting: each value received triggers one poll.
func WithTicks(ticks <-chan time.Time) Option {
	return optionFunc(func(o *options) { o.ticks = ticks })
}
