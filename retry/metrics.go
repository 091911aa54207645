package retry

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scopeName = "github.com/harden-go/harden/retry"

// Metric names recorded by a [Transport]; stable across versions.
const (
	MetricAttempts        = "harden.retry.attempts"         // attempts sent to the base RoundTripper
	MetricRetries         = "harden.retry.retries"          // retries started, by attribute "reason" (a Class name)
	MetricBudgetExhausted = "harden.retry.budget_exhausted" // retries refused by the budget
	MetricRenewals        = "harden.retry.renewals"         // credential renewals, by attribute "outcome" ("ok", "error")
	MetricThrottled       = "harden.retry.throttled"        // attempts refused locally by adaptive throttling
)

type instruments struct {
	attempts, retries, budget, renewals, throttled metric.Int64Counter
	reason                                         [len(classNames)]metric.AddOption
	renewOK, renewErr                              metric.AddOption
}

func newInstruments(mp metric.MeterProvider) (*instruments, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(scopeName)
	var ins instruments
	var err error
	if ins.attempts, err = m.Int64Counter(MetricAttempts, metric.WithUnit("{attempt}"),
		metric.WithDescription("Attempts sent by the retry transport, first attempts included.")); err != nil {
		return nil, err
	}
	if ins.retries, err = m.Int64Counter(MetricRetries, metric.WithUnit("{retry}"),
		metric.WithDescription("Retries started by the retry transport, by the class of the failure that caused them.")); err != nil {
		return nil, err
	}
	if ins.budget, err = m.Int64Counter(MetricBudgetExhausted, metric.WithUnit("{retry}"),
		metric.WithDescription("Retries not started because the host's retry budget was spent.")); err != nil {
		return nil, err
	}
	if ins.renewals, err = m.Int64Counter(MetricRenewals, metric.WithUnit("{renewal}"),
		metric.WithDescription("Credential renewals after a rejected attempt.")); err != nil {
		return nil, err
	}
	if ins.throttled, err = m.Int64Counter(MetricThrottled, metric.WithUnit("{attempt}"),
		metric.WithDescription("Attempts, first or retry, refused locally by adaptive throttling while the host rejected most requests.")); err != nil {
		return nil, err
	}
	// Attribute sets are built once so recording allocates nothing.
	for i := range ins.reason {
		ins.reason[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", Class(i).String())))
	}
	ins.renewOK = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "ok")))
	ins.renewErr = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "error")))
	return &ins, nil
}
