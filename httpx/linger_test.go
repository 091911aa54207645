package httpx

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// The test a new user writes: the default limits, http.DefaultClient, a
// body too large for them. The client must get the 413, not a reset
// caused by the server closing on the unread rest of the body.
func TestRefusedBodyAnswerReachesDefaultClient(t *testing.T) {
	tests := []struct {
		name string
		body func() io.Reader
	}{
		{"chunked", func() io.Reader { return io.MultiReader(bytes.NewReader(make([]byte, 8<<20))) }},
		{"content-length", func() io.Reader { return bytes.NewReader(make([]byte, 8<<20)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultServerConfig()
			cfg.Shutdown.DrainDelay = -1
			_, addr := serve(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					return
				}
				_, _ = io.WriteString(w, "stored")
			}))
			resp, err := http.DefaultClient.Post("http://"+addr+"/upload", "application/octet-stream", tc.body())
			if err != nil {
				t.Fatalf("POST of 8MiB: %v; want the 413 answer", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "body_too_large") {
				t.Fatalf("status %d body %q, want 413 body_too_large", resp.StatusCode, body)
			}
		})
	}
}

// net/http half-closes a connection whose request body the handler left
// unread (after discarding what it may) and waits before closing, so the
// client reads the answer and then the end of the stream rather than a
// reset. The header meter on a plain-TCP connection keeps that path.
func TestUnreadBodyConnectionIsHalfClosed(t *testing.T) {
	cfg := testConfig()
	_, addr := serve(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	}))
	c := dial(t, addr)
	const sent = 1 << 20
	head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n"
	if _, err := io.WriteString(c, head+strings.Repeat("a", sent)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(safety))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the answer the client read %v, want the end of the stream (the server's half-close)", err)
	}
}

// A client that asks for a large response and stops reading is dropped
// after limits.write_stall_timeout, with a reset that frees the unsent
// response, instead of holding the handler until the write deadline. Over
// HTTP/2 the client grants the server a window far larger than the socket
// buffers, so that only the connection's write guard stops the writes.
func TestClientThatStopsReadingIsReset(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		cfg := testConfig()
		cfg.Timeouts.Handler = -1 // nothing but the stall guard ends the write
		cfg.Timeouts.Write = -1
		cfg.Limits.WriteStallTimeout = 100 * harden.Millisecond
		var opts []ServerOption
		var ca *tlstest.CA
		if m == http2Mode {
			ca = tlstest.NewCA(t)
			opts = append(opts, WithTLSConfig(ca.ServerConfig(t, ca.Server(t))))
		}
		wrote := make(chan error, 1)
		_, addr := serve(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			chunk := make([]byte, 1<<20)
			for range 256 {
				if _, err := w.Write(chunk); err != nil {
					wrote <- err
					return
				}
			}
			wrote <- nil
		}), opts...)
		var c net.Conn
		if m == http2Mode {
			c = requestWithoutReading(t, addr, ca)
		} else {
			c = dial(t, addr)
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case err := <-wrote:
			if err == nil {
				t.Fatal("the handler wrote 256MiB to a client that reads nothing")
			}
		case <-time.After(safety):
			t.Fatal("the handler is still writing to a client that stopped reading")
		}
		_ = c.SetReadDeadline(time.Now().Add(safety))
		if _, err := io.Copy(io.Discard, c); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("the client's read ended with %v, want a reset", err)
		}
	})
}

// requestWithoutReading opens an HTTP/2 connection to addr, trusting ca,
// grants the server the largest flow-control windows, sends GET / and
// returns the connection, on which nothing has been read.
func requestWithoutReading(t *testing.T, addr string, ca *tlstest.CA) net.Conn {
	t.Helper()
	tc := ca.ClientConfig(nil)
	tc.NextProtos = []string{"h2"}
	c, err := tls.Dial("tcp", addr, tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	const window = 1<<31 - 1
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "x"}, {":path", "/"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	fr := http2.NewFramer(c, c)
	_, err = io.WriteString(c, http2.ClientPreface)
	err = errors.Join(err,
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: window}),
		fr.WriteWindowUpdate(0, window-65535),
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
