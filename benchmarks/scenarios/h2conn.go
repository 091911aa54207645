package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

const (
	// h2SettingsWait bounds the wait for the server's first SETTINGS
	// frame; a server that sends none within it does not speak HTTP/2.
	h2SettingsWait = 2 * time.Second
	// h2StreamWindow and h2ConnWindow are the receive windows the
	// attacker grants, so the server's answers never stall on flow
	// control and every reaction reaches the attacker.
	h2StreamWindow = 1 << 20
	h2ConnWindow   = 1 << 30
	// h2Batch is how many frames a flood writes before it flushes: the
	// frames leave in few TLS records, as fast as the server takes them.
	h2Batch = 64
	// h2QuietBuffer is the receive buffer of a connection that stops
	// reading.
	h2QuietBuffer = 4 << 10
	// h2Poll is how often a scenario looks at the server's side of an
	// attacking connection it does not read from.
	h2Poll = 10 * time.Millisecond
)

// h2conn is one attacking HTTP/2 connection over TLS. The attacker writes
// frames by hand through an [http2.Framer]; a reader goroutine records
// what the server did in return: its SETTINGS, the answers and resets it
// sent per stream, its GOAWAY and the moment it closed the connection.
//
// Writes are serialized by a mutex (the reader writes the acknowledgements
// of the server's SETTINGS and, when asked, of its PINGs). Every write
// fails once the scenario's deadline has passed.
type h2conn struct {
	conn  *tls.Conn
	wire  *writeCounter // the TCP connection under conn
	peer  *countingConn // the server's side of the connection
	srv   *server
	start time.Time // when the preface was sent

	wmu sync.Mutex
	bw  *bufio.Writer
	fr  *http2.Framer // write side, under wmu
	hb  bytes.Buffer  // header block being encoded, under wmu
	enc *hpack.Encoder

	acks     sync.WaitGroup // the reader's replies being written
	ackPings bool           // answer the server's PINGs, as a live client does
	hold     chan struct{}  // the reader waits on it after the server's SETTINGS
	release  func()         // closes hold, once
	settings chan struct{}  // closed when the server's first SETTINGS arrived
	done     chan struct{}  // closed when the reader returned
	closing  atomic.Bool    // the attacker is closing the connection

	mu             sync.Mutex
	maxStreams     uint32 // the server's SETTINGS_MAX_CONCURRENT_STREAMS; 0 when not sent
	goAway         *http2.GoAwayFrame
	goAwayAfter    time.Duration
	answers        map[uint32]int // stream -> status of the server's answer
	resets         map[uint32]http2.ErrCode
	firstReaction  time.Duration // first answer or reset
	settingsAcks   int
	closedByServer bool
	closedAfter    time.Duration
}

// h2Dial says how an attacking connection behaves on its reading side.
type h2Dial struct {
	// ackPings answers the server's PINGs.
	ackPings bool
	// quiet stops reading after the server's first SETTINGS frame until
	// resume is called, so what the server sends piles up unread.
	quiet bool
}

// dialH2 opens an attacking HTTP/2 connection: TLS with ALPN "h2",
// verified against the scenario certificate, the client preface, a
// SETTINGS frame and a connection window large enough for every answer;
// then it waits for the server's SETTINGS. Writes fail once ctx's
// deadline has passed. The caller closes the connection.
//
// A connection that fails before the attack begins is tried once more:
// a server bounds the TLS handshake by its header timeout, which a busy
// machine can exceed, and a handshake is not what any scenario measures.
func (s *server) dialH2(ctx context.Context, opt h2Dial) (*h2conn, error) {
	c, err := s.dialH2Once(ctx, opt)
	if err != nil && ctx.Err() == nil {
		c, err = s.dialH2Once(ctx, opt)
	}
	return c, err
}

// dialH2Once is one attempt of dialH2.
func (s *server) dialH2Once(ctx context.Context, opt h2Dial) (*h2conn, error) {
	if s.clientTLS == nil {
		return nil, errors.New("scenarios: HTTP/2 needs a TLS server")
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	cfg := s.clientTLS.Clone()
	cfg.NextProtos = []string{"h2"}
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	if tcp, ok := nc.(*net.TCPConn); ok && opt.quiet {
		// A small receive buffer is the attacker's zero window: what the
		// server sends backs up into its own memory after a few KiB,
		// however large the machine's socket buffers are.
		_ = tcp.SetReadBuffer(h2QuietBuffer)
	}
	wire := &writeCounter{Conn: nc}
	tc := tls.Client(wire, cfg)
	if err := tc.HandshakeContext(dctx); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("scenarios: TLS handshake offering h2: %w", err)
	}
	if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
		_ = nc.Close()
		return nil, fmt.Errorf("scenarios: the server did not negotiate h2 (ALPN %q)", p)
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = tc.SetWriteDeadline(deadline)
	}
	c := &h2conn{
		conn:     tc,
		wire:     wire,
		srv:      s,
		ackPings: opt.ackPings,
		settings: make(chan struct{}),
		done:     make(chan struct{}),
		hold:     make(chan struct{}),
		answers:  make(map[uint32]int),
		resets:   make(map[uint32]http2.ErrCode),
	}
	c.release = sync.OnceFunc(func() { close(c.hold) })
	// The server accepted the connection before the handshake could
	// complete, so its side is in the listener now.
	c.peer = s.ln.find(nc.LocalAddr().String())
	if c.peer == nil {
		_ = nc.Close()
		return nil, errors.New("scenarios: the server closed the connection during the TLS handshake")
	}
	if !opt.quiet {
		c.release()
	}
	c.bw = bufio.NewWriterSize(tc, 32<<10)
	c.fr = http2.NewFramer(c.bw, nil)
	c.enc = hpack.NewEncoder(&c.hb)

	c.start = time.Now()
	err = c.write(func(fr *http2.Framer) error {
		if _, err := c.bw.WriteString(http2.ClientPreface); err != nil {
			return err
		}
		if err := fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow}); err != nil {
			return err
		}
		return fr.WriteWindowUpdate(0, h2ConnWindow)
	})
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	go c.read()

	t := time.NewTimer(h2SettingsWait)
	defer t.Stop()
	select {
	case <-c.settings:
		return c, nil
	case <-c.done:
		err = errors.New("scenarios: the server closed the connection before its HTTP/2 SETTINGS")
	case <-t.C:
		err = errors.New("scenarios: no HTTP/2 SETTINGS from the server")
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.close()
	return nil, err
}

// write runs f on the framer and flushes what it wrote.
func (c *h2conn) write(f func(fr *http2.Framer) error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := f(c.fr); err != nil {
		return err
	}
	return c.bw.Flush()
}

// request returns an HPACK header block for a request to path, followed
// by extra header fields (name, value pairs).
func (c *h2conn) request(method, path string, extra ...string) []byte {
	fields := []string{":method", method, ":scheme", "https", ":authority", c.srv.addr, ":path", path}
	return c.fields(append(fields, extra...)...)
}

// fields returns an HPACK header block holding the given name, value
// pairs. Every field is encoded as never-indexed, so blocks do not depend
// on each other or on the order they are sent in, and a flood may send
// the same block any number of times.
func (c *h2conn) fields(pairs ...string) []byte {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.hb.Reset()
	for i := 0; i+1 < len(pairs); i += 2 {
		_ = c.enc.WriteField(hpack.HeaderField{Name: pairs[i], Value: pairs[i+1], Sensitive: true})
	}
	return bytes.Clone(c.hb.Bytes())
}

// flood sends up to units units of attack, each written by next (which
// returns how many frames it wrote), h2Batch units per flush. It stops
// early when the server ends the connection (GOAWAY or close), when ctx
// ends or when a write fails, and returns how many frames it sent.
func (c *h2conn) flood(ctx context.Context, units int, next func(fr *http2.Framer, i int) (int, error)) int {
	frames := 0
	for i := 0; i < units; {
		if ctx.Err() != nil || c.ended() {
			break
		}
		batch := 0
		err := c.write(func(fr *http2.Framer) error {
			for ; i < units && batch < h2Batch; i, batch = i+1, batch+1 {
				n, err := next(fr, i)
				frames += n
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			break
		}
	}
	return frames
}

// settle waits up to d, or until the server ends the connection or ctx
// ends, for the server to act on what a flood sent.
func (c *h2conn) settle(ctx context.Context, d time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	c.waitEnded(ctx)
}

// read records the server's frames until the connection ends. A quiet
// connection stops after the server's first SETTINGS until resume.
func (c *h2conn) read() {
	defer close(c.done)
	fr := http2.NewFramer(nil, bufio.NewReader(c.conn))
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	gotSettings := false
	for {
		if gotSettings {
			<-c.hold
		}
		f, err := fr.ReadFrame()
		if err != nil {
			// A read on a connection the attacker closed fails with
			// net.ErrClosed; any other end is the server's doing.
			if !errors.Is(err, net.ErrClosed) {
				c.mu.Lock()
				c.closedByServer = true
				c.closedAfter = time.Since(c.start)
				c.mu.Unlock()
			}
			return
		}
		c.record(f, &gotSettings)
	}
}

// record notes one frame from the server.
func (c *h2conn) record(f http2.Frame, gotSettings *bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if f.IsAck() {
			c.settingsAcks++
			return
		}
		if v, ok := f.Value(http2.SettingMaxConcurrentStreams); ok {
			c.maxStreams = v
		}
		ack := func() { _ = c.write(func(fr *http2.Framer) error { return fr.WriteSettingsAck() }) }
		if !*gotSettings {
			// The first acknowledgement goes out before dialH2 returns,
			// so it never lands inside a header block the scenario
			// leaves open; nothing else writes yet.
			ack()
			*gotSettings = true
			close(c.settings)
			return
		}
		// Later replies are written on their own goroutine, so the
		// reader keeps reading while a flood holds the write side; a
		// reply that cannot be written fails because the connection is
		// gone.
		c.acks.Go(ack)
	case *http2.PingFrame:
		if !f.IsAck() && c.ackPings {
			data := f.Data
			c.acks.Go(func() { _ = c.write(func(fr *http2.Framer) error { return fr.WritePing(true, data) }) })
		}
	case *http2.GoAwayFrame:
		if c.goAway == nil {
			c.goAway = f
			c.goAwayAfter = time.Since(c.start)
		}
	case *http2.RSTStreamFrame:
		c.resets[f.StreamID] = f.ErrCode
		c.react()
	case *http2.MetaHeadersFrame:
		if status, err := strconv.Atoi(f.PseudoValue("status")); err == nil {
			c.answers[f.StreamID] = status
		}
		c.react()
	}
}

// react notes the time of the server's first answer or reset. Call it
// with mu held.
func (c *h2conn) react() {
	if c.firstReaction == 0 {
		c.firstReaction = time.Since(c.start)
	}
}

// resume lets a quiet connection read again.
func (c *h2conn) resume() { c.release() }

// ended reports whether the server has sent GOAWAY or closed the
// connection, as the attacker's reader or, when it is not reading, the
// server's own side of the connection shows.
func (c *h2conn) ended() bool {
	c.mu.Lock()
	ended := c.goAway != nil || c.closedByServer
	c.mu.Unlock()
	// Once the attacker closes its side, the server's side closes too:
	// only what was recorded before counts.
	if ended || c.closing.Load() {
		return ended
	}
	if c.srv.ln.find(c.conn.LocalAddr().String()) == nil {
		c.mu.Lock()
		if !c.closedByServer {
			c.closedByServer = true
			c.closedAfter = time.Since(c.start)
		}
		c.mu.Unlock()
		return true
	}
	return false
}

// waitEnded waits until the server has sent GOAWAY or closed the
// connection, or ctx ends.
func (c *h2conn) waitEnded(ctx context.Context) {
	t := time.NewTicker(h2Poll)
	defer t.Stop()
	for !c.ended() {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// close closes the connection and waits for the reader. Afterwards the
// recorded fields may be read without the lock.
func (c *h2conn) close() {
	c.closing.Store(true)
	c.release()
	// Closing the TCP connection, not the TLS one: a TLS close writes an
	// alert first, which blocks for seconds when the server has stopped
	// reading.
	_ = c.wire.Conn.Close()
	<-c.done
	// Replies still being written fail on the closed connection.
	c.acks.Wait()
}

// reaction reports when the server first reacted to the connection: a
// GOAWAY or closing it, whichever came first.
func (c *h2conn) reaction() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.goAway != nil && (!c.closedByServer || c.goAwayAfter <= c.closedAfter):
		return c.goAwayAfter, true
	case c.closedByServer:
		return c.closedAfter, true
	}
	return 0, false
}

// goAwayCode returns the code of the server's GOAWAY, or "" when it sent
// none.
func (c *h2conn) goAwayCode() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.goAway == nil {
		return ""
	}
	return c.goAway.ErrCode.String()
}

// resetCounts returns how many streams the server reset, by error code.
func (c *h2conn) resetCounts() map[http2.ErrCode]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := make(map[http2.ErrCode]int)
	for _, code := range c.resets {
		n[code]++
	}
	return n
}

// advertisedStreams returns the server's SETTINGS_MAX_CONCURRENT_STREAMS,
// or 0 when it advertised none.
func (c *h2conn) advertisedStreams() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxStreams
}

// sinceStart returns the time since the preface was sent.
func (c *h2conn) sinceStart() time.Duration { return time.Since(c.start) }

// caughtUp reports whether the server has read every byte the attacker
// wrote on the wire, or has closed its side. A flood that outruns the
// server sits in socket buffers; judging it before the server has read
// it would judge the machine's speed.
func (c *h2conn) caughtUp() bool {
	return c.srv.ln.find(c.conn.LocalAddr().String()) == nil || c.serverRead() >= c.wire.written.Load()
}

// serverRead returns how many bytes the server has read from the
// connection, on the wire (TLS records included).
func (c *h2conn) serverRead() int64 { return c.peer.read.Load() }

// drain waits until the server has read everything the attacker sent
// and then up to d more for it to act on it, or until it ends the
// connection or ctx ends.
func (c *h2conn) drain(ctx context.Context, d time.Duration) {
	t := time.NewTicker(h2Poll)
	defer t.Stop()
	for !c.ended() && !c.caughtUp() {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
	c.settle(ctx, d)
}

// writeCounter is the attacker's TCP connection, counting the bytes
// written on it.
type writeCounter struct {
	net.Conn
	written atomic.Int64
}

func (w *writeCounter) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	w.written.Add(int64(n))
	return n, err
}
