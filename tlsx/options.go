package tlsx

import (
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// ServerOption configures [NewServerSource].
type ServerOption interface {
	apply(*options)
	server()
}

// ClientOption configures [NewClientSource].
type ClientOption interface {
	apply(*options)
	client()
}

// Option configures both sources with what cannot be written in a config
// file: the logger, the meter provider and the clock. Each constructor
// has its own option type, so that an option it would ignore does not
// compile: [WithHandshakeLogLimit] is a ServerOption only.
type Option interface {
	ServerOption
	ClientOption
}

type options struct {
	logger *zap.Logger
	meter  metric.MeterProvider
	now    func() time.Time
	ticks  <-chan time.Time    // replaces the poll timer when set
	onWait func(time.Duration) // called with each poll delay, for tests
	onRead func(path string)   // called after each file is read, for tests

	logLimit int // failed handshakes logged per kind and minute
}

// optionFunc is an option of both sources, serverOptionFunc one of
// [ServerSource] only.
type (
	optionFunc       func(*options)
	serverOptionFunc func(*options)
)

func (f optionFunc) apply(o *options)       { f(o) }
func (optionFunc) server()                  {}
func (optionFunc) client()                  {}
func (f serverOptionFunc) apply(o *options) { f(o) }
func (serverOptionFunc) server()            {}

func newOptions[O interface{ apply(*options) }](opts []O) options {
	o := options{logger: zap.NewNop(), now: time.Now}
	for _, opt := range opts {
		if any(opt) != nil {
			opt.apply(&o)
		}
	}
	if o.meter == nil {
		o.meter = otel.GetMeterProvider()
	}
	return o
}

// WithLogger sets the logger for reloads, rejected file versions,
// expiry warnings and handshake failures. Nil or absent: no logging.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithMeterProvider sets the meter provider of the certificate expiry
// gauge. Nil or absent: the global provider, otel.GetMeterProvider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) { o.meter = mp })
}

// WithClock sets the clock used to check validity periods, to time
// expiry warnings and rate limits, and to verify peers in the checks
// tlsx performs itself. Nil or absent: time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(o *options) {
		if now != nil {
			o.now = now
		}
	})
}
