package httpx

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The header limit counts the block as it was sent: whitespace around
// values, which net/http trims before the handler sees them, counts too.
// Go's HTTP/1 client trims values itself, so HTTP/1.1 is sent raw.
func TestHeaderLimitCountsPaddingAsSent(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		_, base, client := serveMode(t, m, testConfig(), ok) // max_header_bytes: 8KiB
		tests := []struct {
			name   string
			pad    int
			status int
		}{
			{"unpadded", 0, http.StatusOK},
			{"padded past the limit", 100, http.StatusRequestHeaderFieldsTooLarge}, // 40 x ~260 bytes: ~10KiB
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				pad := strings.Repeat(" ", tc.pad)
				h := http.Header{}
				for i := range 40 {
					h[fmt.Sprintf("X-Filler-%02d", i)] = []string{pad + strings.Repeat("v", 40) + pad}
				}
				resp := sendAsIs(t, m, base, client, h)
				defer resp.Body.Close()
				checkProto(t, m, resp)
				if tc.status == http.StatusOK {
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("status = %d, want 200", resp.StatusCode)
					}
					return
				}
				if p := decodeProblem(t, resp, tc.status); p.Code != "header_too_large" {
					t.Errorf("code = %q", p.Code)
				}
			})
		}
	})
}

// sendAsIs sends GET / with header h, its values not trimmed: over
// HTTP/2 with client, over HTTP/1.1 written by hand on a new connection.
func sendAsIs(t *testing.T, m mode, base string, client *http.Client, h http.Header) *http.Response {
	t.Helper()
	if m == http2Mode {
		req, _ := http.NewRequest("GET", base+"/", nil)
		req.Header = h
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	c := dial(t, strings.TrimPrefix(base, "http://"))
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: x\r\n")
	for name, values := range h {
		for _, v := range values {
			fmt.Fprintf(&b, "%s:%s\r\n", name, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Over HTTP/2 each field costs 32 bytes more than its name and value, as
// SETTINGS_MAX_HEADER_LIST_SIZE counts (RFC 9113 section 6.5.2): many
// small fields reach the limit sooner than their text does.
func TestHeaderLimitCountsHTTP2FieldOverhead(t *testing.T) {
	_, base, client := serveMode(t, http2Mode, testConfig(), ok)
	req, _ := http.NewRequest("GET", base+"/", nil)
	for i := range 250 { // 250 x (8 + 1 + 32) bytes: ~10KiB; as text ~3KiB
		req.Header.Set(fmt.Sprintf("x-f-%04d", i), "v")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if p := decodeProblem(t, resp, http.StatusRequestHeaderFieldsTooLarge); p.Code != "header_too_large" {
		t.Errorf("code = %q", p.Code)
	}
}

// The count stays right on a keep-alive connection: after a request with
// a chunked body, the next request's padding is counted, and a request
// within the limit is still served.
func TestHeaderLimitAcrossKeepAliveRequests(t *testing.T) {
	_, addr := serve(t, testConfig(), ok)
	c := dial(t, addr)
	br := bufio.NewReader(c)
	pad := strings.Repeat(" ", 100)
	var padded strings.Builder
	for i := range 40 {
		fmt.Fprintf(&padded, "X-Filler-%02d:%s%s%s\r\n", i, pad, strings.Repeat("v", 40), pad)
	}
	requests := []struct {
		raw    string
		status int
	}{
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer-Field: x\r\n\r\n", http.StatusOK},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", http.StatusOK},
		{"GET / HTTP/1.1\r\nHost: x\r\n" + padded.String() + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
	}
	for i, rq := range requests {
		if _, err := io.WriteString(c, rq.raw); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != rq.status {
			t.Fatalf("request %d: status %d, want %d", i, resp.StatusCode, rq.status)
		}
	}
}

// A request that stops the meter (here, an Upgrade the handler ignores)
// is answered with Connection: close, so a padded request cannot follow
// it on the same connection uncounted.
func TestHeaderMeterStopsOnlyWithTheConnection(t *testing.T) {
	_, addr := serve(t, testConfig(), ok)
	answeredThenClosed(t, dial(t, addr), "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: something\r\n\r\n")
}
