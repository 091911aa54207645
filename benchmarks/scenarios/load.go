package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"
)

const (
	// requestTimeout bounds each ordinary request.
	requestTimeout = 2 * time.Second

	// The legitimate client sends one request at a time, each on a fresh
	// connection, the way a new visitor arrives while an attack holds the
	// server's connections.
	legitPace = 20 * time.Millisecond
	legitMax  = 200
)

// tally is what a stream of ordinary requests experienced.
type tally struct {
	sent, lost int
	latencies  []time.Duration // of the requests that succeeded
	firstLoss  error           // why the first lost request failed
}

// p99 returns the 99th-percentile latency of the requests that succeeded.
func (t tally) p99() time.Duration {
	if len(t.latencies) == 0 {
		return 0
	}
	l := slices.Clone(t.latencies)
	slices.Sort(l)
	i := (len(l)*99+99)/100 - 1 // nearest rank
	return l[i]
}

func (t *tally) add(o tally) {
	t.sent += o.sent
	t.lost += o.lost
	t.latencies = append(t.latencies, o.latencies...)
	if t.firstLoss == nil {
		t.firstLoss = o.firstLoss
	}
}

// load sends GET / through c from workers goroutines, each at most limit
// requests with a pause of pace between them, until stop is closed or ctx
// ends. A request that fails or is answered with anything but 200 is
// lost; a request cut short because ctx ended is not counted.
func (s *server) load(ctx context.Context, stop <-chan struct{}, c *http.Client, workers, limit int, pace time.Duration) tally {
	var (
		mu    sync.Mutex
		total tally
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			t := s.stream(ctx, stop, c, limit, pace)
			mu.Lock()
			total.add(t)
			mu.Unlock()
		})
	}
	wg.Wait()
	return total
}

// stream is one worker of load.
func (s *server) stream(ctx context.Context, stop <-chan struct{}, c *http.Client, limit int, pace time.Duration) tally {
	var t tally
	url := s.base + "/"
	for range limit {
		select {
		case <-stop:
			return t
		case <-ctx.Done():
			return t
		default:
		}
		began := time.Now()
		err := get(ctx, c, url)
		if ctx.Err() != nil {
			return t
		}
		t.sent++
		if err != nil {
			t.lost++
			if t.firstLoss == nil {
				t.firstLoss = err
			}
		} else {
			t.latencies = append(t.latencies, time.Since(began))
		}
		pause := time.NewTimer(pace)
		select {
		case <-pause.C:
		case <-stop:
		case <-ctx.Done():
		}
		pause.Stop()
	}
	return t
}

// get sends one GET and reads the whole answer, which must be a 200.
func get(ctx context.Context, c *http.Client, url string) error {
	status, err := fetch(ctx, c, url)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d", status)
	}
	return err
}

// whileLegit runs attack while a legitimate client sends ordinary requests,
// each on a fresh connection, and returns what that client experienced.
// The client stops when attack returns or ctx ends.
func (s *server) whileLegit(ctx context.Context, attack func()) tally {
	tr := &http.Transport{DisableKeepAlives: true, DialContext: dialAsOtherClient}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: requestTimeout}

	stop := make(chan struct{})
	result := make(chan tally, 1)
	go func() { result <- s.load(ctx, stop, c, 1, legitMax, legitPace) }()
	attack()
	close(stop)
	return <-result
}

// lossReason names why a request was lost, in a word or two.
func lossReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return "timeout"
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return err.Error()
}

// legitAddr is the address the legitimate client connects from: another
// address of the loopback network than the attacker's 127.0.0.1, so that
// a server's per-address connection cap treats it as the separate client
// it stands for, as it would be on a real network.
var legitAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}

// dialAsOtherClient dials from legitAddr, or from the default address on
// systems where only 127.0.0.1 is configured (macOS), where the figures
// then include the per-address cap's effect on the legitimate client.
func dialAsOtherClient(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: legitAddr}
	c, err := d.DialContext(ctx, network, addr)
	if !errors.Is(err, syscall.EADDRNOTAVAIL) {
		return c, err
	}
	var d0 net.Dialer
	return d0.DialContext(ctx, network, addr)
}
