package loadbench

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Load is what the generator is asked to do.
type Load struct {
	Addr string
	// H2 speaks HTTP/2 over TLS; otherwise HTTP/1.1 with keep-alive.
	H2 bool
	// Conns connections, each with Streams requests in flight (HTTP/2),
	// or one (HTTP/1.1).
	Conns, Streams int
	// Warmup runs before Duration; only requests that end within
	// Duration count.
	Warmup, Duration time.Duration
	// Rate, when positive, is the offered load in requests per second
	// over all connections: each connection sends on a fixed schedule
	// instead of as soon as its last answer came (HTTP/2: with at most
	// Streams in flight), and a request's latency counts from when it was
	// due, so a server that falls behind is charged for the wait.
	Rate float64
}

// Result is what one generator run measured.
type Result struct {
	// Total counts every request that completed, warm-up included;
	// Requests only those within the measured time.
	Total    int64         `json:"total"`
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
	Seconds  float64       `json:"seconds"`
	RPS      float64       `json:"rps"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	// CPUPerRequest is the server's CPU time per request; [Run] fills
	// it in from the server process.
	CPUPerRequest time.Duration `json:"cpu_per_request_ns,omitempty"`
}

// GeneratorMain is the main of the load generator process: it runs the
// load its flags describe against -addr and prints a [Result] as JSON.
func GeneratorMain() {
	var l Load
	flag.StringVar(&l.Addr, "addr", "", "server address, host:port (loopback)")
	flag.BoolVar(&l.H2, "h2", false, "HTTP/2 over TLS instead of HTTP/1.1")
	flag.IntVar(&l.Conns, "c", 64, "connections")
	flag.IntVar(&l.Streams, "m", 10, "streams in flight per HTTP/2 connection")
	flag.DurationVar(&l.Warmup, "warmup", 2*time.Second, "warm-up, not counted")
	flag.DurationVar(&l.Duration, "d", 5*time.Second, "measured time")
	flag.Float64Var(&l.Rate, "rate", 0, "offered load in requests per second; 0: closed loop")
	flag.Parse()
	r, err := Generate(l)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

// Generate runs l: every connection sends its next request as soon as
// one ends (a closed loop, like wrk and h2load), for Warmup+Duration.
func Generate(l Load) (Result, error) {
	if host, _, err := net.SplitHostPort(l.Addr); err != nil || !net.ParseIP(host).IsLoopback() {
		return Result{}, fmt.Errorf("address %q is not a loopback host:port", l.Addr)
	}
	start := time.Now()
	from, to := start.Add(l.Warmup), start.Add(l.Warmup+l.Duration)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		all  []uint32 // latencies in µs of the requests that ended in [from, to)
		errs int64
		done int64
		fail error
	)
	var interval time.Duration
	if l.Rate > 0 {
		interval = time.Duration(float64(l.Conns) / l.Rate * float64(time.Second))
	}
	for i := range l.Conns {
		wg.Go(func() {
			w := &worker{addr: l.Addr, from: from, to: to, interval: interval}
			// Connections take turns through the interval.
			w.next = start.Add(interval * time.Duration(i) / time.Duration(l.Conns))
			var err error
			if l.H2 {
				err = w.runH2(l.Streams)
			} else {
				err = w.runH1()
			}
			mu.Lock()
			defer mu.Unlock()
			all = append(all, w.lat...)
			errs += w.errs
			done += w.total
			if err != nil && fail == nil {
				fail = err
			}
		})
	}
	wg.Wait()
	if len(all) == 0 {
		if fail == nil {
			fail = errors.New("no request completed")
		}
		return Result{Errors: errs}, fail
	}
	slices.Sort(all)
	pct := func(p int) time.Duration {
		i := (len(all)*p+99)/100 - 1
		return time.Duration(all[max(i, 0)]) * time.Microsecond
	}
	secs := l.Duration.Seconds()
	return Result{
		Total: done, Requests: int64(len(all)), Errors: errs, Seconds: secs,
		RPS: float64(len(all)) / secs, P50: pct(50), P99: pct(99),
	}, nil
}

// worker is one connection of the generator, reopened after an error
// until the run ends.
type worker struct {
	addr     string
	from, to time.Time
	lat      []uint32
	errs     int64
	total    int64
	// interval is the time between two requests of this connection
	// under an offered load, next when the next one is due; zero
	// interval: closed loop.
	interval time.Duration
	next     time.Time
}

// done records a request that started at t0 and ended at now; it reports
// whether the run is over.
func (w *worker) done(t0, now time.Time) bool {
	w.total++
	if !now.Before(w.from) && now.Before(w.to) {
		w.lat = append(w.lat, uint32(min(now.Sub(t0).Microseconds(), 1<<32-1)))
	}
	return !now.Before(w.to)
}

// failed counts an error and reports whether the run is over; it waits a
// little before the caller reconnects, so a refusing server is not
// hammered.
func (w *worker) failed() bool {
	w.errs++
	time.Sleep(10 * time.Millisecond)
	return !time.Now().Before(w.to)
}

func (w *worker) runH1() error {
	req := []byte("GET /hello HTTP/1.1\r\nHost: " + w.addr + "\r\nUser-Agent: loadbench\r\n\r\n")
	for {
		c, err := net.DialTimeout("tcp", w.addr, 5*time.Second)
		if err != nil {
			if w.failed() {
				return err
			}
			continue
		}
		over, err := w.h1Conn(c, req)
		_ = c.Close()
		if over {
			return nil
		}
		if err != nil && w.failed() {
			return err
		}
	}
}

// h1Conn sends requests on c one at a time until the run is over, an
// error, or the server closes the connection.
func (w *worker) h1Conn(c net.Conn, req []byte) (over bool, err error) {
	br := bufio.NewReaderSize(c, 4096)
	_ = c.SetDeadline(w.to.Add(5 * time.Second))
	for {
		t0 := time.Now()
		if w.interval > 0 {
			if d := time.Until(w.next); d > 0 {
				time.Sleep(d)
			}
			t0, w.next = w.next, w.next.Add(w.interval)
		}
		if _, err := c.Write(req); err != nil {
			return false, err
		}
		keep, err := readResponse(br)
		if err != nil {
			return false, err
		}
		if w.done(t0, time.Now()) {
			return true, nil
		}
		if !keep {
			return false, nil
		}
	}
}

// readResponse reads one HTTP/1.1 response with a Content-Length or a
// chunked body, and reports whether the connection stays open.
func readResponse(br *bufio.Reader) (keep bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return false, fmt.Errorf("bad status line %q", line)
	}
	status := string(line[9:12])
	length, chunked, keep := -1, false, true
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if len(line) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			length, err = strconv.Atoi(string(v))
			if err != nil {
				return false, err
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			keep = !bytes.EqualFold(v, []byte("close"))
		}
	}
	switch {
	case chunked:
		for {
			line, err = br.ReadSlice('\n')
			if err != nil {
				return false, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
			if err != nil {
				return false, err
			}
			if _, err := br.Discard(int(n) + 2); err != nil {
				return false, err
			}
			if n == 0 {
				break
			}
		}
	case length >= 0:
		if _, err := br.Discard(length); err != nil {
			return false, err
		}
	default:
		return false, errors.New("response without a length")
	}
	if status != "200" {
		return keep, fmt.Errorf("status %s", status)
	}
	return keep, nil
}

func (w *worker) runH2(streams int) error {
	for {
		over, err := w.h2Conn(streams)
		if over {
			return nil
		}
		if err != nil && w.failed() {
			return err
		}
	}
}

// h2Conn opens one HTTP/2 connection and keeps streams requests in
// flight on it (closed loop), or, under an offered load, sends one each
// w.interval with at most streams in flight, until the run is over or an
// error.
func (w *worker) h2Conn(streams int) (over bool, err error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", w.addr, &tls.Config{
		InsecureSkipVerify: true, // loopback, a certificate made for the run
		NextProtos:         []string{"h2"},
	})
	if err != nil {
		return false, err
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		return false, fmt.Errorf("negotiated %q, not h2", p)
	}
	_ = c.SetDeadline(w.to.Add(5 * time.Second))
	bw := bufio.NewWriterSize(c, 16<<10)
	br := bufio.NewReaderSize(c, 16<<10)
	if _, err := io.WriteString(bw, http2.ClientPreface); err != nil {
		return false, err
	}
	fr := http2.NewFramer(bw, br)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	// Windows large enough that no run needs a WINDOW_UPDATE.
	if err := fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30}); err != nil {
		return false, err
	}
	if err := fr.WriteWindowUpdate(0, 1<<30); err != nil {
		return false, err
	}
	var (
		mu      sync.Mutex // the framer's writes, bw, next and started
		hbuf    bytes.Buffer
		enc     = hpack.NewEncoder(&hbuf)
		next    = uint32(1)
		started = make(map[uint32]time.Time, streams)
		open    = w.interval > 0 // under an offered load
		slots   = make(chan struct{}, streams)
	)
	// send starts a request due at t0; mu is held.
	send := func(t0 time.Time) error {
		hbuf.Reset()
		for _, f := range [...]hpack.HeaderField{
			{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"},
			{Name: ":authority", Value: w.addr}, {Name: ":path", Value: "/hello"},
			{Name: "user-agent", Value: "loadbench"},
		} {
			_ = enc.WriteField(f)
		}
		id := next
		next += 2
		started[id] = t0
		return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hbuf.Bytes(), EndStream: true, EndHeaders: true})
	}
	if open {
		for range streams {
			slots <- struct{}{}
		}
		stop := make(chan struct{})
		scheduled := make(chan error, 1)
		go func() { scheduled <- w.h2Schedule(&mu, bw, send, slots, stop) }()
		defer func() {
			close(stop)
			if serr := <-scheduled; err == nil && !over {
				err = serr
			}
		}()
	} else {
		for range streams {
			if err := send(time.Now()); err != nil {
				return false, err
			}
		}
	}
	finish := func(id uint32, ok bool) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		t0, found := started[id]
		if !found {
			return false, nil
		}
		delete(started, id)
		if !ok {
			w.errs++
		} else if w.done(t0, time.Now()) {
			return true, nil
		}
		if next > 1<<30 {
			return false, nil // stream IDs run out: reconnect
		}
		if open {
			slots <- struct{}{}
			return false, nil
		}
		return false, send(time.Now())
	}
	for {
		mu.Lock()
		if br.Buffered() == 0 {
			err = bw.Flush()
		}
		mu.Unlock()
		if err != nil {
			return false, err
		}
		f, err := fr.ReadFrame()
		if err != nil {
			return false, err
		}
		var over bool
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				mu.Lock()
				err = fr.WriteSettingsAck()
				mu.Unlock()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				mu.Lock()
				err = fr.WritePing(true, f.Data)
				mu.Unlock()
			}
		case *http2.MetaHeadersFrame:
			if f.StreamEnded() {
				over, err = finish(f.StreamID, f.PseudoValue("status") == "200")
			} else if f.PseudoValue("status") != "200" {
				w.errs++
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				over, err = finish(f.StreamID, true)
			}
		case *http2.RSTStreamFrame:
			over, err = finish(f.StreamID, false)
		case *http2.GoAwayFrame:
			return false, fmt.Errorf("GOAWAY %v", f.ErrCode)
		}
		if over || err != nil {
			return over, err
		}
		mu.Lock()
		idle := len(started) == 0 && (!open || next > 1<<30)
		mu.Unlock()
		if idle {
			return false, nil
		}
	}
}

// h2Schedule sends a request of an HTTP/2 connection each time one is
// due, once a stream slot is free, until stop closes. It goes on past the
// end of the run, so that a request ends after it and ends the
// connection's reading. A request that waited for a slot is charged the
// wait: its latency counts from when it was due.
func (w *worker) h2Schedule(mu *sync.Mutex, bw *bufio.Writer, send func(time.Time) error, slots, stop chan struct{}) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		due := w.next
		t.Reset(time.Until(due))
		select {
		case <-t.C:
		case <-stop:
			return nil
		}
		select {
		case <-slots:
		case <-stop:
			return nil
		}
		mu.Lock()
		err := send(due)
		if err == nil {
			err = bw.Flush()
		}
		mu.Unlock()
		if err != nil {
			return err
		}
		w.next = due.Add(w.interval)
	}
}
