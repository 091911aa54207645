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

	// The legitimate client's pace and least count of requests (see
	// "The legitimate client and its unattacked twin" in the package
	// documentation); legitMax bounds the count when an attack lasts
	// long (h2-stalled-headers waits out ping_after + ping_timeout).
	legitPace = 10 * time.Millisecond
	legitMin  = 200
	legitMax  = 6000
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

// record counts one request sent, lost when err is not nil, and
// otherwise answered after took.
func (t *tally) record(err error, took time.Duration) {
	t.sent++
	if err != nil {
		t.lost++
		if t.firstLoss == nil {
			t.firstLoss = err
		}
		return
	}
	t.latencies = append(t.latencies, took)
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
		t.record(err, time.Since(began))
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
// each on a fresh connection, the way a new visitor arrives while an
// attack holds the server's connections, and returns what that client
// experienced, of this server and of its unattacked twin (see
// [server.probe]).
func (s *server) whileLegit(ctx context.Context, attack func()) probed {
	return s.probe(ctx, func(*server) (*http.Client, func()) {
		tr := &http.Transport{DisableKeepAlives: true, DialContext: dialAsOtherClient}
		return &http.Client{Transport: tr, Timeout: requestTimeout}, tr.CloseIdleConnections
	}, attack)
}

// probed is what the legitimate client experienced of the attacked
// server (the embedded tally) and, at the same moments, of the twin.
type probed struct {
	tally
	// twin is the tally of the unattacked twin; twinErr says why there
	// is none (the twin did not start).
	twin    tally
	twinErr error
}

// vsTwin returns the attacked server's p99 over the twin's, or 0 when
// either was not measured.
func (p probed) vsTwin() float64 {
	a, t := p.p99(), p.twin.p99()
	if a <= 0 || t <= 0 {
		return 0
	}
	return float64(a) / float64(t)
}

// setLegit records in o what the legitimate client experienced.
func (o *Outcome) setLegit(p probed) {
	o.LegitP99, o.Sent, o.Lost = p.p99(), p.sent, p.lost
	o.UnattackedP99, o.LegitP99VsUnattacked = p.twin.p99(), p.vsTwin()
}

// probe runs attack while a legitimate client calls this server and, at
// the same moments, an unattacked twin of it: a fresh instance of the
// same target with the same bounds (the package documentation says why,
// under "The legitimate client and its unattacked twin").
//
// newClient returns the client that calls one server and the function
// that releases it. Every legitPace the client sends one GET to each
// server at once; it sends a first pair before attack starts (which for
// HTTP/2 also sets up its connections), and goes on until attack has
// returned and legitMin pairs were sent, legitMax were, or ctx ends
// (both pace and legitMin follow [Bounds.Scale]).
func (s *server) probe(ctx context.Context, newClient func(*server) (*http.Client, func()), attack func()) probed {
	var p probed
	c, release := newClient(s)
	defer release()
	calls := []legitCall{{c: c, url: s.base + "/", t: &p.tally}}
	if twin, err := startOn(s.target, s.bounds, s.certs); err != nil {
		p.twinErr = err
	} else {
		defer twin.close()
		tc, release := newClient(twin)
		defer release()
		calls = append(calls, legitCall{c: tc, url: twin.base + "/", t: &p.twin})
	}

	pace, least := s.bounds.legitProbe()
	pair(ctx, calls, 0)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(pace)
		defer tick.Stop()
		for n := 1; n < legitMax; n++ {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			if n >= least {
				select {
				case <-stop:
					return
				default:
				}
			}
			pair(ctx, calls, n)
		}
	}()
	attack()
	close(stop)
	<-done
	return p
}

// legitCall is one server the legitimate client calls: through c, at
// url, each request recorded in t.
type legitCall struct {
	c   *http.Client
	url string
	t   *tally
}

// pair sends one GET to each of calls at the same moment, and records
// each unless ctx ended meanwhile. One request is sent from this
// goroutine and the others from goroutines of their own, which the
// scheduler may start a little later; which one goes first rotates with
// turn, so that no server is favoured by the order.
func pair(ctx context.Context, calls []legitCall, turn int) {
	took := make([]time.Duration, len(calls))
	errs := make([]error, len(calls))
	call := func(i int) {
		began := time.Now()
		errs[i] = get(ctx, calls[i].c, calls[i].url)
		took[i] = time.Since(began)
	}
	first := turn % len(calls)
	var wg sync.WaitGroup
	for i := range calls {
		if i != first {
			wg.Go(func() { call(i) })
		}
	}
	call(first)
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	for i, lc := range calls {
		lc.t.record(errs[i], took[i])
	}
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
