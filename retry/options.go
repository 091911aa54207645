package retry

import (
	"context"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// Option configures what cannot be written in a config file: the
// authenticator, classifier, logger and meter provider.
type Option interface {
	apply(*options)
}

type options struct {
	auth     Authenticator
	classify Classifier
	logger   *zap.Logger
	meter    metric.MeterProvider
	clock    clock
	rand     func() float64
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

func newOptions(opts []Option) options {
	o := options{classify: DefaultClassifier, logger: zap.NewNop(), clock: realClock{}, rand: rand.Float64}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithAuthenticator sets the [Authenticator] that authorizes every attempt
// and renews credentials once per request on [AuthExpired]. Nil or absent:
// requests are sent with the caller's headers, and 401s are returned as
// they are.
func WithAuthenticator(a Authenticator) Option {
	return optionFunc(func(o *options) { o.auth = a })
}

// WithClassifier replaces [DefaultClassifier]. A custom classifier can
// delegate to DefaultClassifier for the cases it does not handle. Nil:
// DefaultClassifier.
func WithClassifier(c Classifier) Option {
	return optionFunc(func(o *options) {
		if c != nil {
			o.classify = c
		}
	})
}

// WithLogger sets the logger that records each retry decision (retry,
// give up, renew) at debug level with its reason. Nil or absent: no
// logging.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithMeterProvider sets the OpenTelemetry MeterProvider for the
// transport's metrics (see [NewTransport]). Nil or absent: the global
// provider (otel.GetMeterProvider) at the time NewTransport is called.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(o *options) { o.meter = mp })
}

// clock is the time source of backoff waits, deadlines checks and the
// budget window; tests replace it.
type clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// withClock and withRand make time and jitter deterministic in tests.
func withClock(c clock) Option { return optionFunc(func(o *options) { o.clock = c }) }

func withRand(f func() float64) Option { return optionFunc(func(o *options) { o.rand = f }) }
