package httpx

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestHeadScannerFollowsFraming(t *testing.T) {
	const (
		get     = "GET / HTTP/1.1\r\nHost: x\r\n\r\n" // 27 bytes
		chunked = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		sized   = "POST /s HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n\r\n"
	)
	tests := []struct {
		name   string
		stream string
		sizes  []int64
		dead   bool
	}{
		{"one request", get, []int64{27}, false},
		{"leading blank lines", "\r\n\r\n" + get, []int64{27}, false},
		{"bare LF lines", "GET / HTTP/1.1\nHost: x\n\n", []int64{24}, false},
		{"padding counts", "GET / HTTP/1.1\r\nHost:      x     \r\n\r\n", []int64{37}, false},
		{"pipelined", get + get, []int64{27, 27}, false},
		{"content-length body", sized + "hello" + get, []int64{int64(len(sized)), 27}, false},
		{"chunked body with extension and trailer", chunked + "5;a=b\r\nhello\r\na\r\n0123456789\r\n0\r\nT: x\r\n\r\n" + get, []int64{int64(len(chunked)), 27}, false},
		{"chunk data without its CRLF", chunked + "5\r\nhelloXX" + get, []int64{int64(len(chunked))}, true},
		{"bad chunk size", chunked + "zz\r\n", []int64{int64(len(chunked))}, true},
		// Measured, then no more.
		{"conflicting lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n" + get, []int64{57}, true},
		{"other transfer coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n" + get, []int64{44}, true},
		{"upgrade", "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n" + get, []int64{38}, true},
		{"padded length", "POST / HTTP/1.1\r\nContent-Length:" + strings.Repeat(" ", 300) + "0\r\n\r\n" + get, []int64{337}, true},
		{"h2c preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", []int64{18}, true},
		{"CONNECT", "CONNECT x:443 HTTP/1.1\r\n\r\n" + get, []int64{26}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []int{1, 3, len(tc.stream)} { // how the bytes arrive
				var s headScanner
				for p := tc.stream; len(p) > 0; {
					n := min(step, len(p))
					s.feed([]byte(p[:n]))
					p = p[n:]
				}
				var sizes []int64
				for _, b := range s.blocks {
					sizes = append(sizes, b.size)
				}
				if (s.state == scanDead) != tc.dead || !equalSizes(sizes, tc.sizes) {
					t.Fatalf("in steps of %d: blocks %v, dead %v; want %v, dead %v", step, sizes, s.state == scanDead, tc.sizes, tc.dead)
				}
			}
		})
	}
}

func equalSizes(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A request line the meter did not record (net/http answered the request
// itself) is skipped; one it cannot match stops the metering, so the
// limit falls back to the parsed count instead of a wrong one.
func TestMeteredConnTake(t *testing.T) {
	var c meteredConn
	c.s.feed([]byte("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n"))
	if n, last, ok := c.take("GET", "/a", "HTTP/1.1"); !ok || last || n != 28 {
		t.Fatalf("take(GET /a) = %d, %v, %v; want 28, false, true", n, last, ok)
	}
	if _, _, ok := c.take("GET", "/b", "HTTP/1.1"); ok {
		t.Fatal("take of a request the meter never saw succeeded")
	}
	c.s.feed([]byte("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
	if _, _, ok := c.take("GET", "/b", "HTTP/1.1"); ok {
		t.Fatal("the meter kept counting after losing track")
	}
}

// Metering the requests of a keep-alive connection allocates only for
// the first: the scanner reuses its buffers, and take compares the
// request line in place.
func TestMeteredConnReusesBuffers(t *testing.T) {
	var c meteredConn
	req := []byte("GET /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nUser-Agent: y\r\n\r\n")
	allocs := testing.AllocsPerRun(100, func() {
		c.s.feed(req[:1]) // net/http's background read takes one byte
		c.s.feed(req[1:])
		if _, _, ok := c.take("GET", "/a?b=c", "HTTP/1.1"); !ok {
			t.Fatal("the request was not metered")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per request, want 0", allocs)
	}
}

// Whatever bytes an attacker sends, in whatever pieces, the meter does
// not panic, records the same blocks, and never a block larger than what
// arrived.
func FuzzHeadScanner(f *testing.F) {
	f.Add("GET / HTTP/1.1\r\nHost: x\r\n\r\n", uint8(1))
	f.Add("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", uint8(4))
	f.Add("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n", uint8(7))
	f.Fuzz(func(t *testing.T, stream string, step uint8) {
		var whole, pieces headScanner
		whole.feed([]byte(stream))
		n := max(int(step), 1)
		for p := stream; len(p) > 0; {
			k := min(n, len(p))
			pieces.feed([]byte(p[:k]))
			p = p[k:]
		}
		if len(whole.blocks) != len(pieces.blocks) || whole.state != pieces.state {
			t.Fatalf("whole: %d blocks, state %d; in pieces of %d: %d blocks, state %d", len(whole.blocks), whole.state, n, len(pieces.blocks), pieces.state)
		}
		for i, b := range whole.blocks {
			if p := pieces.blocks[i]; string(b.line) != string(p.line) || b.size != p.size || b.last != p.last || b.size > int64(len(stream)) {
				t.Fatalf("block %d: %+v whole, %+v in pieces, of a %d-byte stream", i, b, pieces.blocks[i], len(stream))
			}
		}
	})
}

// The meter's cost per request on a keep-alive connection, by the number
// of header lines, with a 1KiB body it skips.
func BenchmarkHeadScanner(b *testing.B) {
	for _, lines := range []int{1, 10, 100, 1000} {
		b.Run(strconv.Itoa(lines), func(b *testing.B) {
			var req strings.Builder
			req.WriteString("POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 1024\r\n")
			for i := range lines {
				fmt.Fprintf(&req, "X-Header-%d: %s\r\n", i, strings.Repeat("v", 32))
			}
			req.WriteString("\r\n" + strings.Repeat("x", 1024))
			p := []byte(req.String())
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			var c meteredConn
			for b.Loop() {
				c.s.feed(p)
				c.take("POST", "/upload", "HTTP/1.1")
			}
		})
	}
}
