package httpx

import (
	"fmt"
	"net/http"

	"github.com/harden-go/harden/internal/problem"
)

// headerBackstop is the MaxHeaderBytes given to net/http. net/http's own
// check answers a plain-text 431 and is loose by its 4KiB read buffer, so
// harden enforces the configured limit exactly in headerLimit and leaves
// net/http a backstop at twice the limit that bounds memory per connection
// against grossly oversized header blocks.
func headerBackstop(limit Bytes) int {
	if limit <= 0 {
		return 0 // net/http's DefaultMaxHeaderBytes
	}
	return int(min(2*limit, 1<<30))
}

// headerLimit answers 431 problem+json (RFC 6585 section 5) with
// Connection: close when the request line and header block, counted as
// they appear on the wire, exceed limit bytes. A limit <= 0 disables it.
func headerLimit(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if limit <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n := headerSize(r); n > limit {
				w.Header().Set("Connection", "close")
				problem.Write(w, r, http.StatusRequestHeaderFieldsTooLarge, "header_too_large",
					fmt.Sprintf("request line and headers are %d bytes; the limit is %d", n, limit))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// headerSize counts the request line and header lines as sent on the wire
// ("Name: value\r\n"), including Host, which net/http moves out of
// r.Header. For HTTP/2 it counts the decoded header list the same way.
func headerSize(r *http.Request) int64 {
	n := int64(len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2)
	n += int64(len("Host: ") + len(r.Host) + 2)
	for name, values := range r.Header {
		for _, v := range values {
			n += int64(len(name) + 2 + len(v) + 2)
		}
	}
	return n + 2 // the empty line that ends the block
}
