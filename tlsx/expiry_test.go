package tlsx_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// expiryPoints collects the expiry gauge's data points.
func expiryPoints(t *testing.T, r *sdkmetric.ManualReader) []metricdata.DataPoint[float64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var out []metricdata.DataPoint[float64]
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[float64]); ok && m.Name == tlsx.ExpiryMetric {
				out = append(out, g.DataPoints...)
			}
		}
	}
	return out
}

// The gauge reports the seconds until the served certificate expires,
// follows a reload, and goes away with Close.
func TestExpiryGauge(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv1, srv2 := ca.Server(t), ca.Server(t)
	v := tlstest.NewSecretVolume(t, map[string]string{"tls.crt": srv1.CertFile, "tls.key": srv1.KeyFile})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	clock := &fakeClock{t: time.Now()}
	src, err := tlsx.NewServerSource(t.Context(), tlsx.ServerConfig{CertFile: v.Path("tls.crt"), KeyFile: v.Path("tls.key"), ReloadInterval: -1},
		tlsx.WithMeterProvider(mp), tlsx.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	check := func(c *tlstest.Cert) {
		t.Helper()
		checkExpiry(t, reader, c, clock.Now(), "server")
	}
	check(srv1)
	clock.Advance(time.Hour)
	v.Update(t, map[string]string{"tls.crt": srv2.CertFile, "tls.key": srv2.KeyFile})
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	check(srv2)
	if st := src.State(); !st.NotAfter.Equal(srv2.Certificate.NotAfter) {
		t.Errorf("State().NotAfter = %v, want %v", st.NotAfter, srv2.Certificate.NotAfter)
	}

	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if pts := expiryPoints(t, reader); len(pts) != 0 {
		t.Errorf("%d data points after Close, want none", len(pts))
	}
}

// A certificate is warned about once per threshold crossed: at start
// (less than 7 days left) and once more when less than a day is left.
func TestExpiryWarning(t *testing.T) {
	ca := tlstest.NewCA(t)
	cli := ca.Client(t)
	// tlstest certificates live 25 hours: start the clock where more
	// than a day remains.
	clock := &fakeClock{t: cli.Certificate.NotAfter.Add(-24*time.Hour - time.Minute)}
	core, logs := observer.New(zap.WarnLevel)
	src := newClient(t, tlsx.ClientConfig{CertFile: cli.CertFile, KeyFile: cli.KeyFile, ReloadInterval: -1},
		tlsx.WithLogger(zap.New(core)), tlsx.WithClock(clock.Now))
	warnings := func() int { return logs.FilterMessageSnippet("expires soon").Len() }
	if n := warnings(); n != 1 {
		t.Fatalf("%d warnings with a little more than a day left, want 1", n)
	}
	clock.Advance(2 * time.Minute)
	for range 2 {
		if err := src.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	if n := warnings(); n != 2 {
		t.Fatalf("%d warnings with less than a day left, want 2", n)
	}
	all := logs.FilterMessageSnippet("expires soon").All()
	if th := all[0].ContextMap()["threshold"]; th != 7*24*time.Hour {
		t.Errorf("first threshold = %v, want 168h", th)
	}
	if e := all[1].ContextMap(); e["threshold"] != 24*time.Hour {
		t.Errorf("threshold = %v, want 24h", e["threshold"])
	}
}

// A client source reports its certificate's expiry through the meter
// provider it is given, as a server source does.
func TestExpiryGaugeClient(t *testing.T) {
	ca := tlstest.NewCA(t)
	cli := ca.Client(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	clock := &fakeClock{t: time.Now()}
	newClient(t, tlsx.ClientConfig{CertFile: cli.CertFile, KeyFile: cli.KeyFile, ReloadInterval: -1},
		tlsx.WithMeterProvider(mp), tlsx.WithClock(clock.Now))
	checkExpiry(t, reader, cli, clock.Now(), "client")
}

// checkExpiry checks that reader holds one expiry data point, for c at
// now on side.
func checkExpiry(t *testing.T, reader *sdkmetric.ManualReader, c *tlstest.Cert, now time.Time, side string) {
	t.Helper()
	pts := expiryPoints(t, reader)
	if len(pts) != 1 {
		t.Fatalf("%d data points, want 1", len(pts))
	}
	if want := c.Certificate.NotAfter.Sub(now).Seconds(); pts[0].Value != want {
		t.Errorf("gauge = %v, want %v", pts[0].Value, want)
	}
	if got, _ := pts[0].Attributes.Value(attribute.Key("tls.side")); got.AsString() != side {
		t.Errorf("tls.side = %q, want %s", got.AsString(), side)
	}
}
