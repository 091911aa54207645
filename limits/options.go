package limits

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// Option configures what cannot be written in a config file: the meter
// provider of [Concurrency]'s metrics.
type Option interface {
	apply(*options)
}

type options struct {
	mp metric.MeterProvider
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithMeterProvider sets the meter provider of [Concurrency]'s metrics.
// Nil or absent: the global one.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) { o.mp = mp })
}

func (o options) meterProvider() metric.MeterProvider {
	if o.mp != nil {
		return o.mp
	}
	return otel.GetMeterProvider()
}
