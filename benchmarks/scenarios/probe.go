package scenarios

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	dialTimeout = 2 * time.Second
	// dialers bounds how many attacker connections are being dialled at
	// once, so a flood builds up without overrunning the listen backlog.
	dialers = 32
	// maxAnswerBody bounds how much of an answer's body a probe reads.
	maxAnswerBody = 1 << 20
)

// probe is one attacker connection. The attacker writes to it by hand, so
// it can be as slow, as large or as malformed as the scenario needs; a
// reader goroutine records what the server did in return: the answer it
// sent, if any, and when it closed the connection.
type probe struct {
	conn  net.Conn
	srv   *server
	start time.Time // when the connection was established

	settled chan struct{} // closed once a whole answer arrived or the read side ended
	done    chan struct{} // closed once the read side ended

	// Set by the reader before settled is closed.
	status       int           // the answer's status code; 0 when none came
	contentType  string        // the answer's Content-Type
	complete     bool          // the answer's body arrived whole
	answerAfter  time.Duration // from connect to the answer's status line
	readAtAnswer int64         // bytes the server had read when it answered

	// Set by the reader before done is closed.
	closedByServer bool          // the server closed (or reset) the connection
	closedAfter    time.Duration // from connect to that close
}

// dial connects a probe to the server. Writes to it fail once ctx's
// deadline has passed, so no write outlives the scenario.
func (s *server) dial(ctx context.Context) (*probe, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(dctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = c.SetWriteDeadline(deadline)
	}
	p := &probe{
		conn:    c,
		srv:     s,
		start:   time.Now(),
		settled: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go p.read()
	return p, nil
}

// read records the server's answer and the moment it closed the
// connection. It returns when the read side ends: the server closed or
// reset the connection, or the probe was closed.
func (p *probe) read() {
	defer close(p.done)
	settle := sync.OnceFunc(func() { close(p.settled) })
	defer settle()

	br := bufio.NewReader(p.conn)
	if resp, err := http.ReadResponse(br, nil); err == nil {
		p.status = resp.StatusCode
		p.contentType = resp.Header.Get("Content-Type")
		p.answerAfter = time.Since(p.start)
		p.readAtAnswer = p.srv.ln.BytesRead()
		_, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBody))
		p.complete = err == nil
		_ = resp.Body.Close()
		settle()
	}
	// Whatever came first, wait for the end of the connection. A read on
	// a connection the probe closed itself fails with net.ErrClosed; any
	// other end (EOF, reset) is the server's doing.
	_, err := io.Copy(io.Discard, br)
	if !errors.Is(err, net.ErrClosed) {
		p.closedByServer = true
		p.closedAfter = time.Since(p.start)
	}
}

// send writes b at once. A failed write is not reported: the reader
// records what the server did, which is what the scenario judges.
func (p *probe) send(b []byte) {
	_, _ = p.conn.Write(b)
}

// trickle writes head (if any), then next(0), next(1), ... with a pause
// of every between pieces (none when every is zero). It stops when next
// returns nil, when the server has answered or closed, when ctx ends or
// when a write fails.
func (p *probe) trickle(ctx context.Context, head []byte, every time.Duration, next func(i int) []byte) {
	if len(head) > 0 {
		if _, err := p.conn.Write(head); err != nil {
			return
		}
	}
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for i := 0; ; i++ {
		piece := next(i)
		if piece == nil {
			return
		}
		if tick != nil {
			select {
			case <-tick:
			case <-p.settled:
				return
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-p.settled:
			return
		case <-ctx.Done():
			return
		default:
		}
		if _, err := p.conn.Write(piece); err != nil {
			return
		}
	}
}

// pieces returns a next function for trickle that yields b in pieces of
// n bytes.
func pieces(b []byte, n int) func(i int) []byte {
	return func(i int) []byte {
		from := i * n
		if from >= len(b) {
			return nil
		}
		return b[from:min(from+n, len(b))]
	}
}

// reaction reports how long the server took to answer or close the
// connection, whichever came first. Call it after done is closed.
func (p *probe) reaction() (time.Duration, bool) {
	switch {
	case p.status != 0:
		return p.answerAfter, true
	case p.closedByServer:
		return p.closedAfter, true
	}
	return 0, false
}

// crowd is a group of probes attacking the same server, each driven by
// its own writer goroutine.
type crowd struct {
	probes  []*probe
	refused int   // dials that failed
	dialErr error // the first dial error
	writers sync.WaitGroup
}

// crowd dials n probes, at most [dialers] at a time, and starts behave on
// each in its own goroutine (behave may be nil: the probe says nothing).
// behave must return once the probe has settled or ctx has ended.
func (s *server) crowd(ctx context.Context, n int, behave func(*probe)) *crowd {
	c := &crowd{}
	var (
		mu      sync.Mutex
		dialing sync.WaitGroup
		slots   = make(chan struct{}, dialers)
	)
	for range n {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		dialing.Go(func() {
			defer func() { <-slots }()
			p, err := s.dial(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				c.refused++
				if c.dialErr == nil {
					c.dialErr = err
				}
				return
			}
			c.probes = append(c.probes, p)
			if behave != nil {
				c.writers.Go(func() { behave(p) })
			}
		})
	}
	dialing.Wait()
	return c
}

// one returns the crowd's only probe, or nil when its dial failed.
func (c *crowd) one() *probe {
	if len(c.probes) == 0 {
		return nil
	}
	return c.probes[0]
}

// waitSettled waits until every probe has been answered or closed, or ctx
// ends.
func (c *crowd) waitSettled(ctx context.Context) {
	for _, p := range c.probes {
		select {
		case <-p.settled:
		case <-ctx.Done():
			return
		}
	}
}

// waitClosed waits until the server has closed every probe, or ctx ends.
func (c *crowd) waitClosed(ctx context.Context) {
	for _, p := range c.probes {
		select {
		case <-p.done:
		case <-ctx.Done():
			return
		}
	}
}

// close closes every probe and waits for their readers and writers.
// Afterwards every probe's fields may be read.
func (c *crowd) close() {
	for _, p := range c.probes {
		_ = p.conn.Close()
	}
	for _, p := range c.probes {
		<-p.done
	}
	c.writers.Wait()
}
