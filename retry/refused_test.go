package retry

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/harden-go/harden/tlsx/tlstest"
)

// refusingServer speaks HTTP/2 over TLS on loopback and answers its first
// stream with RST_STREAM REFUSED_STREAM, the server's promise that it did
// not process the request (RFC 9113 section 8.7), and later streams with
// 200. It returns the address and a counter of streams seen.
func refusingServer(t *testing.T, ca *tlstest.CA) (string, *atomic.Int32) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	var streams atomic.Int32
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		<-done
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second)) // a safety bound only
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			serveRefusing(c, &streams)
		}
	}()
	return ln.Addr().String(), &streams
}

func serveRefusing(c net.Conn, streams *atomic.Int32) {
	defer c.Close()
	if _, err := io.ReadFull(c, make([]byte, len(http2.ClientPreface))); err != nil {
		return
	}
	fr := http2.NewFramer(c, c)
	if fr.WriteSettings() != nil {
		return
	}
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	respond := func(id uint32) error {
		hbuf.Reset()
		_ = enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hbuf.Bytes(), EndHeaders: true, EndStream: true})
	}
	for range 100 { // a bounded conversation
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() && fr.WriteSettingsAck() != nil {
				return
			}
		case *http2.HeadersFrame:
			if streams.Add(1) == 1 {
				if fr.WriteRSTStream(f.StreamID, http2.ErrCodeRefusedStream) != nil {
					return
				}
				continue
			}
			if f.StreamEnded() && respond(f.StreamID) != nil {
				return
			}
		case *http2.DataFrame:
			if f.StreamEnded() && streams.Load() > 1 && respond(f.StreamID) != nil {
				return
			}
		}
	}
}

// A POST whose body net/http cannot rewind, refused by an HTTP/2 server
// that promises it did not process it, is resent with the body buffered.
func TestRefusedStreamIsResent(t *testing.T) {
	tests := []struct {
		name  string
		retry bool
	}{
		{"bare transport", false},
		{"retry transport", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ca := tlstest.NewCA(t)
			addr, streams := refusingServer(t, ca)
			h2 := &http.Transport{TLSClientConfig: ca.ClientConfig(nil), ForceAttemptHTTP2: true}
			defer h2.CloseIdleConnections()
			var rt http.RoundTripper = h2
			if tc.retry {
				rt = mustTransport(t, h2, fastPolicy(), withClock(&fakeClock{}))
			}
			// No GetBody: net/http cannot rewind this body itself.
			body := struct{ io.Reader }{strings.NewReader("payload")}
			req, _ := http.NewRequest(http.MethodPost, "https://"+addr+"/", body)
			resp, err := rt.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			if !tc.retry {
				// net/http alone gives up: the reason this layer exists.
				if err == nil {
					t.Fatal("the bare transport resent the refused stream itself; the test no longer shows anything")
				}
				return
			}
			if err != nil || resp.StatusCode != http.StatusOK || streams.Load() != 2 {
				t.Fatalf("resp %v, err %v, streams %d; want 200 on the second stream", resp, err, streams.Load())
			}
		})
	}
}
