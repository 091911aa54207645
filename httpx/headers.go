package httpx

import (
	"fmt"
	"net/http"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/problem"
)

// headerBackstop is the MaxHeaderBytes given to net/http. net/http's own
// check answers a plain-text 431 and is loose by its 4KiB read buffer, so
// harden enforces the configured limit in headerLimit, counted as
// headerSize says, and leaves net/http a backstop at twice the limit that
// bounds memory per connection against grossly oversized header blocks.
func headerBackstop(limit harden.Bytes) int {
	if limit <= 0 {
		return 0 // net/http's DefaultMaxHeaderBytes
	}
	return int(min(2*limit, 1<<30))
}

// headerLimit answers 431 problem+json (RFC 6585 section 5) with
// Connection: close when the request line and header block, counted as
// headerSize says, exceed limit bytes. A limit <= 0 disables it.
func headerLimit(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if limit <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, reconnect := headerSize(r)
			if reconnect {
				// The meter lost the connection's framing: the next
				// request comes on a new, metered connection.
				w.Header().Set("Connection", "close")
			}
			if n > limit {
				w.Header().Set("Connection", "close")
				problem.Write(w, r, http.StatusRequestHeaderFieldsTooLarge, "header_too_large",
					fmt.Sprintf("request line and headers are %d bytes; the limit is %d", n, limit))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// headerSize counts the request line and header block as the client sent
// them. Over HTTP/1.x it is the bytes on the wire, whitespace around
// values included, as a plain-TCP connection metered them (meteredConn);
// without a meter (TLS, or a connection the meter gave up on) it counts
// the parsed lines ("Name: value\r\n", Host included, which net/http
// moves out of r.Header), short of the whitespace net/http trimmed. Over
// HTTP/2 it counts each field, pseudo-header fields included, as
// SETTINGS_MAX_HEADER_LIST_SIZE does: name, value and 32 bytes (RFC 9113
// section 6.5.2). reconnect reports that a metered connection cannot be
// metered after r.
func headerSize(r *http.Request) (n int64, reconnect bool) {
	if r.ProtoMajor == 2 {
		return http2HeaderListSize(r), false
	}
	mc, metered := r.Context().Value(meterKey{}).(*meteredConn)
	if metered {
		size, last, ok := mc.take(r.Method, r.RequestURI, r.Proto)
		if ok {
			return size, last
		}
	}
	return parsedHeaderSize(r), metered
}

// parsedHeaderSize counts r's request line and header lines as net/http
// parsed them.
func parsedHeaderSize(r *http.Request) int64 {
	n := int64(len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2)
	n += int64(len("Host: ") + len(r.Host) + 2)
	for name, values := range r.Header {
		for _, v := range values {
			n += int64(len(name) + 2 + len(v) + 2)
		}
	}
	return n + 2 // the empty line that ends the block
}

// http2FieldOverhead is the per-field cost of RFC 9113 section 6.5.2.
const http2FieldOverhead = 32

// http2HeaderListSize is the size of r's header list as HTTP/2 counts it.
// net/http joins the cookie-crumbs of RFC 9113 section 8.2.3 into one
// Cookie field; it is counted as one.
func http2HeaderListSize(r *http.Request) int64 {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	n := int64(len(":method")+len(r.Method)+len(":scheme")+len(scheme)+
		len(":authority")+len(r.Host)+len(":path")+len(r.RequestURI)) + 4*http2FieldOverhead
	for name, values := range r.Header {
		for _, v := range values {
			n += int64(len(name)+len(v)) + http2FieldOverhead
		}
	}
	return n
}
