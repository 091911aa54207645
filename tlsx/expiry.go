package tlsx

import (
	"context"
	"crypto/x509"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// expiryThresholds are the remaining lifetimes at which a warning is
// logged, longest first: a month leaves time to chase a manual renewal,
// a week and a day catch an automated renewal that silently stopped
// (the cert-manager and Let's Encrypt reminders use similar steps).
var expiryThresholds = [...]time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour}

// expiryWarner logs one warning per certificate and threshold crossed.
type expiryWarner struct {
	serial string // the certificate warned about
	warned int    // how many thresholds have been warned of
}

func (w *expiryWarner) check(log *zap.Logger, side string, leaf *x509.Certificate, now time.Time) {
	if leaf == nil {
		return
	}
	if s := leaf.SerialNumber.Text(16); s != w.serial {
		w.serial, w.warned = s, 0
	}
	left := leaf.NotAfter.Sub(now)
	crossed := 0
	for _, t := range expiryThresholds {
		if left <= t {
			crossed++
		}
	}
	if crossed <= w.warned {
		return
	}
	w.warned = crossed
	log.Warn("tlsx: "+side+" certificate expires soon; renew it",
		zap.String("serial", w.serial), zap.Time("not_after", leaf.NotAfter),
		zap.Duration("remaining", left.Round(time.Second)),
		zap.Duration("threshold", expiryThresholds[crossed-1]))
}

// ExpiryMetric is the name of the gauge of seconds until the served
// certificate expires, with the attribute tls.side ("server" or
// "client"). It goes negative once the certificate has expired.
const ExpiryMetric = "tlsx.certificate.expiry"

func registerExpiryGauge(mp metric.MeterProvider, side string, now func() time.Time, cur func() *material) (func() error, error) {
	meter := mp.Meter("github.com/harden-go/harden/tlsx")
	g, err := meter.Float64ObservableGauge(ExpiryMetric,
		metric.WithUnit("s"),
		metric.WithDescription("Seconds until the served TLS certificate expires."))
	if err != nil {
		return nil, err
	}
	attrs := metric.WithAttributes(attribute.String("tls.side", side))
	reg, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		if leaf := cur().leaf(); leaf != nil {
			o.ObserveFloat64(g, leaf.NotAfter.Sub(now()).Seconds(), attrs)
		}
		return nil
	}, g)
	if err != nil {
		return nil, err
	}
	return reg.Unregister, nil
}
