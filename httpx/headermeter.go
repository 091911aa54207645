package httpx

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"sync"
)

// meterListener meters the request header blocks of the plain-TCP
// connections it accepts (see meteredConn).
type meterListener struct{ net.Listener }

func (l meterListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &meteredConn{Conn: c}, nil
}

// meteredConn measures each HTTP/1.x request line and header block as its
// bytes arrive, before net/http parses them and trims the whitespace
// around values, so the header limit counts what the client sent. It
// follows the message framing (Content-Length, chunked) to find where the
// next request starts. A request after which it cannot follow (an
// upgrade, CONNECT, a transfer coding or length net/http would refuse)
// is still measured, and then the connection is no longer metered: the
// limit asks the client to reconnect (Connection: close), so a request
// that turns the meter off cannot carry a padded one after it.
type meteredConn struct {
	net.Conn
	mu sync.Mutex
	s  headScanner
}

func (c *meteredConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.s.feed(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

// ReadFrom keeps net/http's zero-copy path (sendfile, splice) to the
// underlying connection.
func (c *meteredConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

// CloseWrite half-closes the connection c meters, so that net/http's own
// half-close before closing a connection whose request body a handler
// left unread reaches the socket, and the client reads the answer and
// the end of the stream instead of a reset.
func (c *meteredConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// NetConn returns the connection c meters, as [*tls.Conn.NetConn] does,
// so that limits.ConnContext finds the listener's connection under it.
func (c *meteredConn) NetConn() net.Conn { return c.Conn }

// take returns the wire size of the header block of the request whose
// request line is method, uri and proto, skipping blocks of requests that
// never reached a handler, and whether metering stops after it; ok is
// false when the connection is not metered any more.
func (c *meteredConn) take(method, uri, proto string) (size int64, last, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.s
	for i, b := range s.blocks {
		if startsLine(b.line, method, uri, proto) {
			// Drop blocks 0..i; their line buffers stay beyond
			// len(s.blocks) for the blocks to come.
			k := i + 1
			for j := 0; j+k < len(s.blocks); j++ {
				s.blocks[j], s.blocks[j+k] = s.blocks[j+k], s.blocks[j]
			}
			s.blocks = s.blocks[:len(s.blocks)-k]
			return b.size, b.last, true
		}
	}
	s.blocks = s.blocks[:0]
	s.state = scanDead
	return 0, true, false
}

// startsLine reports whether kept, the first bytes of a request line, is
// the start of the line method SP uri SP proto.
func startsLine(kept []byte, method, uri, proto string) bool {
	for _, part := range [...]string{method, " ", uri, " ", proto} {
		n := min(len(kept), len(part))
		if string(kept[:n]) != part[:n] {
			return false
		}
		kept = kept[n:]
	}
	return len(kept) == 0
}

// receiving reports whether part of a request line or header block has
// arrived and the rest has not.
func (c *meteredConn) receiving() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s.state == scanHead && c.s.size > 0
}

type meterKey struct{}

// withMeter returns ctx carrying c when c is metered.
func withMeter(ctx context.Context, c net.Conn) context.Context {
	if mc, ok := c.(*meteredConn); ok {
		return context.WithValue(ctx, meterKey{}, mc)
	}
	return ctx
}

// Scanner states.
const (
	scanHead      = iota // request line and header lines
	scanBody             // Content-Length body
	scanChunkSize        // chunk-size line
	scanChunkData        // chunk data
	scanChunkEnd         // the CRLF after chunk data
	scanTrailer          // trailer lines after the last chunk
	scanDead             // not metering
)

const (
	keepLine      = 256  // bytes of a line kept for parsing and matching
	maxChunkLine  = 4096 // net/http's own bound on a chunk-size line
	maxBlocksKept = 16   // pipelined header blocks not yet taken
)

type headBlock struct {
	line []byte // the request line's first keepLine bytes
	size int64  // request line and header block, CRLFs included
	last bool   // the scanner cannot follow the stream after this block
}

// headScanner follows an HTTP/1.x byte stream as RFC 9112 frames it. Its
// buffers are reused from one request to the next.
type headScanner struct {
	state  int
	blocks []headBlock // not yet taken; the line buffers of taken ones lie beyond len

	line    []byte // current line, up to keepLine bytes (maxChunkLine for chunk sizes)
	lineLen int    // bytes of the current line, LF included
	size    int64  // bytes of the current header block so far
	reqLine []byte // the current block's request line, up to keepLine bytes; empty before it
	length  int64  // declared Content-Length, -1 when absent
	chunked bool
	lost    bool  // the stream after this block cannot be followed
	remain  int64 // body or chunk bytes still to skip
}

func (s *headScanner) feed(p []byte) {
	for len(p) > 0 && s.state != scanDead {
		switch s.state {
		case scanBody, scanChunkData:
			n := min(int64(len(p)), s.remain)
			p, s.remain = p[n:], s.remain-n
			switch {
			case s.remain > 0:
			case s.state == scanBody:
				s.state = scanHead
			default:
				s.state = scanChunkEnd
			}
		case scanChunkEnd:
			if s.lineLen == 0 && p[0] == '\r' || s.lineLen == 1 && p[0] == '\n' {
				s.lineLen++
				p = p[1:]
				if s.lineLen == 2 {
					s.lineLen, s.state = 0, scanChunkSize
				}
				continue
			}
			s.state = scanDead
		default:
			p = s.readLine(p)
		}
	}
}

// readLine adds bytes of p to the current line and handles the line when
// its LF arrives; it returns what is left of p.
func (s *headScanner) readLine(p []byte) []byte {
	if s.state == scanHead && s.size == 0 && s.lineLen == 0 {
		// net/http skips blank lines before a request line.
		for len(p) > 0 && (p[0] == '\r' || p[0] == '\n') {
			p = p[1:]
		}
		if len(p) == 0 {
			return p
		}
		s.length = -1
	}
	keep := keepLine
	if s.state == scanChunkSize {
		keep = maxChunkLine
	}
	i := bytes.IndexByte(p, '\n')
	if i >= 0 && s.lineLen == 0 {
		// The whole line is in p: handle it there, uncopied.
		whole := p[:i+1]
		if s.state == scanHead {
			s.size += int64(len(whole))
		}
		s.endLine(trimEOL(whole[:min(len(whole), keep)]), len(whole) <= keep)
		return p[i+1:]
	}
	chunk := p
	if i >= 0 {
		chunk = p[:i+1]
	}
	if room := keep - len(s.line); room > 0 {
		s.line = append(s.line, chunk[:min(room, len(chunk))]...)
	}
	s.lineLen += len(chunk)
	if s.state == scanHead {
		s.size += int64(len(chunk))
	}
	if i < 0 {
		if s.state == scanChunkSize && s.lineLen > maxChunkLine {
			s.state = scanDead
		}
		return nil
	}
	s.endLine(trimEOL(s.line), s.lineLen <= keep)
	s.line, s.lineLen = s.line[:0], 0
	return p[i+1:]
}

// trimEOL returns line without its LF and the CR before it.
func trimEOL(line []byte) []byte {
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
}

// endLine handles a whole line; complete is false when only its first
// keepLine bytes were kept.
func (s *headScanner) endLine(line []byte, complete bool) {
	switch s.state {
	case scanChunkSize:
		if !complete {
			s.state = scanDead
			return
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimRight(size, " \t")), 16, 64)
		switch {
		case err != nil || n < 0:
			s.state = scanDead
		case n == 0:
			s.state = scanTrailer
		default:
			s.remain, s.state = n, scanChunkData
		}
	case scanTrailer:
		if len(line) == 0 {
			s.state = scanHead
		}
	case scanHead:
		switch {
		case len(s.reqLine) == 0:
			s.reqLine = append(s.reqLine, line...)
			s.lost = bytes.HasPrefix(line, []byte("PRI ")) || bytes.HasPrefix(line, []byte("CONNECT "))
		case len(line) == 0:
			s.endBlock()
		default:
			s.header(line, complete)
		}
	}
}

// header notes the framing a header line declares.
func (s *headScanner) header(line []byte, complete bool) {
	switch line[0] | 0x20 { // line is not empty
	case 'c', 't', 'u': // Content-Length, Transfer-Encoding, Upgrade
	default:
		return
	}
	name, value, _ := bytes.Cut(line, []byte(":"))
	value = bytes.Trim(value, " \t")
	switch {
	case bytes.EqualFold(name, []byte("Content-Length")):
		n, err := strconv.ParseInt(string(value), 10, 64)
		if !complete || err != nil || n < 0 || s.length >= 0 && s.length != n {
			s.lost = true
			return
		}
		s.length = n
	case bytes.EqualFold(name, []byte("Transfer-Encoding")):
		// net/http accepts chunked alone.
		s.lost = s.lost || !complete || !bytes.EqualFold(value, []byte("chunked"))
		s.chunked = true
	case bytes.EqualFold(name, []byte("Upgrade")):
		s.lost = true
	}
}

// endBlock records a finished header block and moves on to its body.
func (s *headScanner) endBlock() {
	if len(s.blocks) == maxBlocksKept {
		s.state = scanDead
		return
	}
	n := len(s.blocks)
	if n < cap(s.blocks) {
		s.blocks = s.blocks[:n+1]
	} else {
		s.blocks = append(s.blocks, headBlock{})
	}
	b := &s.blocks[n]
	b.line, b.size, b.last = append(b.line[:0], s.reqLine...), s.size, s.lost
	switch {
	case s.lost:
		s.state = scanDead
	case s.chunked:
		s.state = scanChunkSize
	case s.length > 0:
		s.remain, s.state = s.length, scanBody
	}
	s.size, s.reqLine, s.length, s.chunked, s.lost = 0, s.reqLine[:0], -1, false, false
}
