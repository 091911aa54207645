package limits

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instrumentation is the OTel instrumentation scope of this package.
const instrumentation = "github.com/harden-go/harden/limits"

// concurrencyMetrics are [Concurrency]'s instruments: the limit, the
// requests in flight and in the backlog, observed at each collection, and
// the requests shed, counted with their reason ("limit",
// "backlog_timeout", "backlog_full").
type concurrencyMetrics struct {
	shedCount metric.Int64Counter
}

func newConcurrencyMetrics(mp metric.MeterProvider, l *limiter) *concurrencyMetrics {
	m := mp.Meter(instrumentation)
	// Instrument errors leave a no-op instrument in place; metrics must
	// never stop the server.
	limit, _ := m.Int64ObservableGauge("harden.server.concurrency.limit",
		metric.WithDescription("Requests the server admits at once."), metric.WithUnit("{request}"))
	inflight, _ := m.Int64ObservableGauge("harden.server.concurrency.in_flight",
		metric.WithDescription("Admitted requests being served."), metric.WithUnit("{request}"))
	queued, _ := m.Int64ObservableGauge("harden.server.concurrency.queued",
		metric.WithDescription("Requests waiting in the backlog."), metric.WithUnit("{request}"))
	shed, _ := m.Int64Counter("harden.server.concurrency.shed",
		metric.WithDescription("Requests answered 503 because the server was at its limit."), metric.WithUnit("{request}"))
	_, _ = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		lim, in, q := l.state()
		o.ObserveInt64(limit, int64(lim))
		o.ObserveInt64(inflight, int64(in))
		o.ObserveInt64(queued, int64(q))
		return nil
	}, limit, inflight, queued)
	return &concurrencyMetrics{shedCount: shed}
}

func (m *concurrencyMetrics) shed(ctx context.Context, v verdict) {
	m.shedCount.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", v.reason())))
}
