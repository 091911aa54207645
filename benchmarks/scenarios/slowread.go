package scenarios

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

const (
	// slowReaders is how many connections read /big slowly: a fifth of
	// slowhttptest -X's 500, so the scenario fits a small shared machine.
	slowReaders = 100
	// slowReadBytes and slowReadPace are how the readers read: 32 bytes
	// a second, slowhttptest's -z 32 at a faster pace than its -n 5.
	slowReadBytes = 32
	slowReadPace  = time.Second
	// slowReadBuffer is each reader's socket receive buffer, so the
	// window it advertises stays small (the kernel doubles it).
	slowReadBuffer = 4 << 10
	// slowReadPoll is how often the server's sockets are counted, and
	// slowReadSample how often a count is kept for the report.
	slowReadPoll   = 100 * time.Millisecond
	slowReadSample = time.Second
	// defaultWriteStall is the bound when the target gives none.
	defaultWriteStall = 10 * time.Second
)

func slowRead() Scenario {
	return Scenario{
		Name: "slow-read",
		Description: fmt.Sprintf("%d connections each ask for an %s response and read it %d bytes at a time, once a second, through a small receive window (slowhttptest -X).",
			slowReaders, size(bigResponse), slowReadBytes),
		Expect: "frees every connection, kernel buffers included, within limits.write_stall_timeout + 2s",
		Waits:  true,
		Run:    attack(runSlowRead),
	}
}

func runSlowRead(ctx context.Context, s *server, b Bounds) Outcome {
	limit := b.WriteByteTimeout
	if limit <= 0 {
		limit = defaultWriteStall
	}
	limit += 2 * time.Second
	giveUp := limit + 3*time.Second
	// The readers outlive the count: they stop only once it has
	// stopped, so their own close is never counted as the server's.
	var wg sync.WaitGroup
	defer wg.Wait()
	readCtx, stopReaders := context.WithCancel(ctx)
	defer stopReaders()
	ctx, cancel := context.WithTimeout(ctx, giveUp)
	defer cancel()

	_, portText, _ := net.SplitHostPort(s.addr)
	port, _ := strconv.Atoi(portText)
	n := b.scaled(slowReaders)
	began := time.Now()
	opened := 0
	for range n {
		c, err := dialSlowReader(ctx, s.addr)
		if err != nil {
			continue
		}
		opened++
		wg.Go(func() { readSlowly(readCtx, c) })
	}
	if opened == 0 {
		return Outcome{Summary: "no connection", Err: "no slow reader could connect"}
	}

	// Count the server's sockets until none is left or the scenario
	// gives up: the kernel's where it can be asked, else the server's
	// open connections. Reading the kernel's table costs milliseconds on
	// a busy host, so between samples it is read only once the server
	// has closed every connection (a socket it holds open is one the
	// kernel holds too).
	count := func(sample bool) int {
		if open := s.ln.Open(); open > 0 && !sample {
			return open
		}
		if k, ok := kernelSockets(port); ok {
			return k
		}
		return s.ln.Open()
	}
	var samples []int
	var freed time.Duration
	tick := time.NewTicker(slowReadPoll)
	defer tick.Stop()
	for polls := 1; freed == 0 && ctx.Err() == nil; polls++ {
		select {
		case <-tick.C:
		case <-ctx.Done():
			continue
		}
		sample := polls%int(slowReadSample/slowReadPoll) == 0
		k := count(sample)
		if sample || k == 0 {
			samples = append(samples, k)
		}
		if k == 0 {
			freed = time.Since(began)
		}
	}
	o := Outcome{
		Defended:    freed > 0 && freed <= limit,
		TimeToClose: freed,
		OpenSockets: samples,
	}
	if _, ok := kernelSockets(port); !ok {
		o.OpenSockets = nil
	}
	last := 0
	if len(samples) > 0 {
		last = samples[len(samples)-1]
	}
	switch {
	case freed > 0:
		o.Summary = fmt.Sprintf("all %d freed after %s", opened, secs(freed))
	default:
		o.Summary = fmt.Sprintf("%d of %d still held at give-up (%s)", last, opened, secs(giveUp))
	}
	return o
}

// dialSlowReader connects with a small receive buffer and asks for /big.
func dialSlowReader(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Control: smallReceiveBuffer, Timeout: requestTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(c, "GET /big HTTP/1.1\r\nHost: slow-read\r\n\r\n"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// readSlowly reads a few bytes from c at the slow pace until the server
// ends the connection or ctx ends, then closes c.
func readSlowly(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, slowReadBytes)
	tick := time.NewTicker(slowReadPace)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
