package httpx

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harden-go/harden"
)

// An HTTP/1.1 keep-alive connection idle when the drain starts is closed
// by the server while it still accepts, so its client reconnects (here,
// or to another replica) instead of finding the connection cut when the
// listener closes, possibly while it is sending.
func TestDrainClosesIdleKeepAliveConnectionsWhileStillAccepting(t *testing.T) {
	cfg := testConfig()
	cfg.Timeouts.Idle = harden.Duration(4 * safety)
	cfg.Timeouts.ReadHeader = harden.Duration(safety)
	cfg.Shutdown = ShutdownConfig{DrainDelay: harden.Duration(safety), Timeout: harden.Duration(safety)}
	srv, addr := serve(t, cfg, ok)
	idle := dial(t, addr)
	_ = idle.SetDeadline(time.Now().Add(2 * safety)) // past the drain delay
	served(t, idle)                                  // keep-alive: the connection stays open, idle

	ctx, cancel := context.WithCancel(context.Background())
	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- srv.Shutdown(ctx) }()
	t.Cleanup(func() {
		cancel() // the test is over: cut the drain delay short
		<-shutdownDone
	})
	if closed, err := closedByServer(idle); !closed {
		t.Fatalf("the idle connection stayed open during the drain: %v", err)
	}
	if srv.Ready() {
		t.Fatal("the idle connection was closed before the drain started")
	}
	// The listener still accepts: the client's reconnection is served,
	// and told to close after its answer.
	answeredThenClosed(t, dial(t, addr), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
}

// answeredThenClosed sends the rest of a request on c and fails the test
// unless the answer is 200 with Connection: close.
func answeredThenClosed(t *testing.T, c net.Conn, rest string) {
	t.Helper()
	if _, err := io.WriteString(c, rest); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Fatalf("answer %d, close=%v; want 200 with Connection: close", resp.StatusCode, resp.Close)
	}
}

// A client that sends POSTs (which net/http never retries once written)
// over a warm keep-alive pool through the whole drain loses none. New
// connections go to the draining server until the endpoint change
// propagates, then to another replica, as kube-proxy routes them; the
// connections already open stay with the draining server.
func TestDrainLosesNoPOST(t *testing.T) {
	cfg := testConfig()
	cfg.Timeouts.Handler = harden.Duration(safety)
	cfg.Timeouts.Idle = harden.Duration(4 * safety)
	cfg.Shutdown = ShutdownConfig{DrainDelay: harden.Second, Timeout: harden.Duration(safety)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	})
	draining, drainingAddr := serve(t, cfg, h)
	_, otherAddr := serve(t, cfg, h)

	var rerouted atomic.Bool
	newClient := func() *http.Client {
		tr := &http.Transport{MaxIdleConnsPerHost: 16, DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			addr := drainingAddr
			if rerouted.Load() {
				addr = otherAddr
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: safety}
	}
	busy, quiet := newClient(), newClient()
	post := func(client *http.Client) error {
		// No GetBody: the transport may not replay it, as for a body
		// streamed from elsewhere.
		req, _ := http.NewRequest("POST", "http://service/", io.NopCloser(strings.NewReader("payload")))
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	}
	// Warm both pools: as many connections as the busy client has
	// workers, 16 for the quiet one, which then sends nothing until the
	// listener closes, and then a burst on the connections it holds.
	var warm sync.WaitGroup
	for i := range 16 {
		if i < 4 {
			warm.Go(func() { _ = post(busy) })
		}
		warm.Go(func() { _ = post(quiet) })
	}
	warm.Wait()

	var sent, answered, lost atomic.Int64
	var firstLost atomic.Pointer[error] // an atomic.Value would panic on errors of two types
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 20000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				if err := post(busy); err != nil {
					lost.Add(1)
					firstLost.CompareAndSwap(nil, &err)
					continue
				}
				answered.Add(1)
			}
		})
	}
	var burst sync.WaitGroup
	burstStarted := make(chan struct{})
	draining.HTTPServer().RegisterOnShutdown(func() { // the listener has just closed
		for range 8 {
			burst.Go(func() {
				sent.Add(1)
				if err := post(quiet); err != nil {
					lost.Add(1)
					firstLost.CompareAndSwap(nil, &err)
				}
			})
		}
		close(burstStarted)
	})
	go func() {
		for i := 0; i < 5000 && draining.Ready(); i++ {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // the endpoint change propagates
		rerouted.Store(true)
	}()
	if err := draining.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	close(stop)
	wg.Wait()
	<-burstStarted
	burst.Wait()
	t.Logf("%d POSTs, %d lost", sent.Load(), lost.Load())
	if n := lost.Load(); n > 0 {
		t.Errorf("%d of %d POSTs failed; first: %v", n, sent.Load(), *firstLost.Load())
	}
	if answered.Load() == 0 {
		t.Error("no POST was answered; the load did not cover the drain")
	}
}

// The sweep spares an idle connection on which a request has begun to
// arrive: the request is answered, with Connection: close.
func TestDrainSparesConnectionReceivingARequest(t *testing.T) {
	cfg := testConfig()
	cfg.Timeouts.Idle = harden.Duration(4 * safety)
	cfg.Timeouts.ReadHeader = harden.Duration(4 * safety)
	cfg.Shutdown = ShutdownConfig{DrainDelay: harden.Duration(safety), Timeout: harden.Duration(safety)}
	srv, addr := serve(t, cfg, ok)
	sending, quiet := dial(t, addr), dial(t, addr)
	_ = sending.SetDeadline(time.Now().Add(2 * safety))
	_ = quiet.SetDeadline(time.Now().Add(2 * safety))
	served(t, sending) // idle first, so a sweep that closes quiet has considered it
	served(t, quiet)

	ctx, cancel := context.WithCancel(context.Background())
	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- srv.Shutdown(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-shutdownDone
	})
	for i := 0; i < 5000 && srv.Ready(); i++ {
		time.Sleep(time.Millisecond)
	}
	if _, err := io.WriteString(sending, "POST / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	if closed, err := closedByServer(quiet); !closed {
		t.Fatalf("the quiet connection stayed open during the drain: %v", err)
	}
	answeredThenClosed(t, sending, "Content-Length: 2\r\n\r\nhi")
}

// A drain delay of a few nanoseconds is valid and still sweeps.
func TestSweepOfATinyDrainDelay(t *testing.T) {
	stop := newConnTracker(-1, 0, defaultAgeRand).sweepIdle(time.Nanosecond)
	stop()
}
