package httpx

import "go.uber.org/zap"

// Option configures what cannot be written in a config file: loggers and
// the servers an admin listener reports on.
type Option interface {
	apply(*options)
}

type options struct {
	logger    *zap.Logger
	readiness []Readiness
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

func newOptions(opts []Option) options {
	o := options{logger: zap.NewNop()}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithLogger sets the logger for lifecycle events (listening, draining,
// forced closes) and for net/http's own error log. Nil or absent: no
// logging.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// Readiness is what an admin server asks before answering /readyz.
// [*Server] implements it: it turns unready the moment its drain starts.
// A Readiness that also has a method Done() <-chan struct{} is waited for
// by [AdminServer.Run] before the admin listener closes, so probes see the
// drain until the end.
type Readiness interface {
	Ready() bool
}

// WithReadiness ties the admin server's /readyz to r; with several, all
// must be ready. Without any, /readyz answers 200 while the admin server
// runs.
func WithReadiness(r ...Readiness) Option {
	return optionFunc(func(o *options) {
		o.readiness = append(o.readiness, r...)
	})
}
