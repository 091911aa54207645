package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// serveAdmin starts an admin server on a loopback listener and stops it
// when the test ends.
func serveAdmin(t *testing.T, cfg AdminConfig, opts ...AdminOption) (*AdminServer, string) {
	t.Helper()
	a, err := NewAdminServer(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a, listen(t, a.Serve, a.Shutdown)
}

func status(c *http.Client, url string) (int, bool, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, false, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Close, nil
}

// TestShutdownLosesNoRequest drives steady load through a simulated load
// balancer that stops routing a short while after /readyz turns 503, as
// real ones do, and counts failures across the drain.
func TestShutdownLosesNoRequest(t *testing.T) {
	run(t, testShutdownLosesNoRequest)
}

func testShutdownLosesNoRequest(t *testing.T, m mode) {
	cfg := testConfig()
	cfg.Timeouts.Handler = safety
	cfg.Timeouts.Idle = safety
	cfg.Shutdown = ShutdownConfig{DrainDelay: 600 * time.Millisecond, Timeout: safety}
	holding, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", ok)
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		close(holding)
		<-release
		_, _ = io.WriteString(w, "held")
	})
	srv, base, client := serveMode(t, m, cfg, mux)
	_, adminAddr := serveAdmin(t, AdminConfig{Addr: "127.0.0.1:0"}, WithReadiness(srv))

	if code, _, err := status(client, "http://"+adminAddr+"/readyz"); err != nil || code != http.StatusOK {
		t.Fatalf("/readyz before shutdown = %d, %v; want 200", code, err)
	}

	// The load balancer: routes while the probe passes and for a
	// propagation delay after it fails.
	var routing atomic.Bool
	routing.Store(true)
	sawNotReady := make(chan struct{})
	go func() {
		probe := newClient(t)
		for range 500 {
			if code, _, _ := status(probe, "http://"+adminAddr+"/readyz"); code == http.StatusServiceUnavailable {
				close(sawNotReady)
				time.Sleep(200 * time.Millisecond)
				routing.Store(false)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()

	var sent, failed, servedWhileDraining atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 20000 && routing.Load(); i++ {
				draining := !srv.Ready()
				sent.Add(1)
				code, _, err := status(client, base+"/")
				switch {
				case err != nil || code != http.StatusOK:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, errors.Join(err, errors.New(http.StatusText(code))))
				case draining:
					servedWhileDraining.Add(1)
				}
			}
		})
	}
	held := make(chan error, 1)
	go func() {
		code, _, err := status(client, base+"/hold")
		if err == nil && code != http.StatusOK {
			err = errors.New(http.StatusText(code))
		}
		held <- err
	}()
	<-holding

	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- srv.Shutdown(context.Background()) }()
	<-sawNotReady
	if srv.Ready() {
		t.Error("Ready() is true after /readyz answered 503")
	}
	// A client that has not heard of the drain yet connects afresh and is
	// served, and told not to keep the connection.
	fresh := client.Transport.(*http.Transport).Clone()
	defer fresh.CloseIdleConnections()
	code, closeConn, err := status(&http.Client{Transport: fresh, Timeout: safety}, base+"/")
	if err != nil || code != http.StatusOK {
		t.Fatalf("new connection during the drain: %d, %v; want 200", code, err)
	}
	if m == http1Mode && !closeConn {
		t.Error("HTTP/1.1 response during the drain lacks Connection: close")
	}
	wg.Wait()
	close(release)
	if err := <-held; err != nil {
		t.Errorf("in-flight request across shutdown: %v", err)
	}
	if err := <-shutdownDone; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed during the shutdown; first: %v", n, sent.Load(), firstErr.Load())
	}
	if servedWhileDraining.Load() == 0 {
		t.Error("no request was served during the drain delay; the load did not cover it")
	}
}

func TestShutdownForceClosesAfterTimeout(t *testing.T) {
	run(t, testShutdownForceClosesAfterTimeout)
}

func testShutdownForceClosesAfterTimeout(t *testing.T, m mode) {
	cfg := testConfig()
	cfg.Timeouts.Handler = safety
	cfg.Shutdown = ShutdownConfig{DrainDelay: -1, Timeout: 100 * time.Millisecond}
	holding, release := make(chan struct{}), make(chan struct{})
	srv, base, client := serveMode(t, m, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(holding)
		<-release
	}))
	defer close(release)
	clientErr := make(chan error, 1)
	go func() {
		_, _, err := status(client, base+"/")
		clientErr <- err
	}()
	<-holding
	err := srv.Shutdown(context.Background())
	if err == nil || !strings.Contains(err.Error(), "server.shutdown.timeout") {
		t.Fatalf("Shutdown = %v, want an error naming server.shutdown.timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown error %v does not wrap context.DeadlineExceeded", err)
	}
	if err := <-clientErr; err == nil {
		t.Error("the force-closed request succeeded")
	}
	if srv.Shutdown(context.Background()) == nil {
		t.Error("a second Shutdown did not return the first one's result")
	}
}

func TestRunServesUntilContextDone(t *testing.T) {
	cfg := testConfig()
	cfg.Addr = "127.0.0.1:0"
	srv, err := NewServer(cfg, ok)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	var addr net.Addr
	for i := 0; i < 500 && addr == nil; i++ {
		time.Sleep(10 * time.Millisecond)
		addr = srv.Addr()
	}
	if addr == nil {
		t.Fatal("server did not listen")
	}
	if code, _, err := status(newClient(t), "http://"+addr.String()+"/"); err != nil || code != http.StatusOK {
		t.Fatalf("GET = %d, %v", code, err)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("Run = %v, want nil after a clean shutdown", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Error("Done is open after Run returned")
	}
}

// Run ties the runtime's memory limit to the container's and says so once,
// with GOMAXPROCS; a negative ratio leaves the runtime alone, unlogged.
func TestRunReportsRuntimeLimits(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	for _, ratio := range []float64{0.5, -1} {
		t.Run(fmt.Sprint(ratio), func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			cfg := testConfig()
			cfg.Addr = "127.0.0.1:0"
			cfg.Limits.MemoryLimitRatio = ratio
			srv, err := NewServer(cfg, ok, WithLogger(zap.New(core)))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan error, 1)
			go func() { ran <- srv.Run(ctx) }()
			cancel()
			if err := <-ran; err != nil {
				t.Fatal(err)
			}
			lines := logs.FilterMessage("runtime limits").All()
			switch {
			case ratio < 0 && len(lines) != 0:
				t.Fatalf("%d runtime lines with the memory limit off, want none", len(lines))
			case ratio < 0:
			case len(lines) != 1:
				t.Fatalf("%d runtime lines, want 1", len(lines))
			case lines[0].ContextMap()["gomaxprocs"] != int64(runtime.GOMAXPROCS(0)):
				t.Fatalf("logged %v, want gomaxprocs %d", lines[0].ContextMap(), runtime.GOMAXPROCS(0))
			}
		})
	}
}

func TestRunReportsListenError(t *testing.T) {
	cfg := testConfig()
	cfg.Addr = "127.0.0.1:-1"
	srv, err := NewServer(cfg, ok)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "server.addr") {
		t.Fatalf("Run = %v, want a listen error naming server.addr", err)
	}
}
