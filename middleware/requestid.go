package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"sync"

	"github.com/harden-go/harden/internal/reqid"
)

// MaxRequestIDLen is the longest request ID [RequestID] accepts from a
// client.
const MaxRequestIDLen = 128

// RequestID returns middleware that gives every request an ID that its
// log lines, spans and error answers all carry.
//
// The ID comes from the request's X-Request-ID header (or the header
// named by [WithRequestIDHeader]) when a proxy or client in front has set
// one that [ValidRequestID] accepts: at most [MaxRequestIDLen] bytes of
// letters, digits and ".", "_", ":", "-". Anything else, such as CR or LF,
// quotes, spaces or a very long value, is an attempt to forge log lines or
// inflate them (CWE-117), and is replaced by a fresh ID rather than
// echoed or escaped. A fresh ID is 128 bits from crypto/rand written as 32
// lowercase hex digits; crypto/rand takes no lock in the request path.
//
// The ID is put in the request's context, where [RequestIDFrom], the
// problem answers of harden's guards, [AccessLog], [Logger] and
// [PropagateRequestID] read it, and it is set on the response header so
// that the client can quote it. The incoming header is trusted only as
// far as its shape: place RequestID behind a proxy that strips or sets
// the header if clients must not choose their IDs.
//
// RequestID should be the outermost layer (see [Default]); under another
// RequestID it keeps the ID already chosen. The middleware is safe for
// concurrent use.
func RequestID(opts ...RequestIDOption) func(http.Handler) http.Handler {
	header := newOptions(opts).header
	return func(next http.Handler) http.Handler {
		return layer(func(w http.ResponseWriter, r *http.Request, ctx context.Context, body io.ReadCloser) {
			st := stateFrom(ctx)
			if reqid.From(ctx) != "" {
				// A RequestID further out has chosen the ID; a second one
				// would make the inner layers disagree with the outer.
				handOn(next, st, w, r, ctx, body)
				return
			}
			id := r.Header.Get(header)
			if !ValidRequestID(id) {
				id = newRequestID()
			}
			if st == nil {
				st, ctx = newState(ctx, id)
				// The header's value lives in the state, which the
				// request allocates anyway.
				st.idHeader[0] = id
				w.Header()[header] = st.idHeader[:]
			} else {
				w.Header().Set(header, id)
				ctx = reqid.With(ctx, id)
			}
			handOn(next, st, w, r, ctx, body)
		})
	}
}

// RequestIDFrom returns the request ID that [RequestID] put in ctx, or ""
// when there is none.
func RequestIDFrom(ctx context.Context) string {
	return reqid.From(ctx)
}

// ValidRequestID reports whether [RequestID] accepts id from a client: 1
// to [MaxRequestIDLen] bytes, each an ASCII letter, digit, '.', '_', ':'
// or '-'. The set covers UUIDs, hex and base32 IDs, and the IDs of common
// proxies (AWS's X-Amzn-Trace-Id "Root=..." needs '=' and is not
// accepted), and holds nothing a log format or a header could interpret.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 128 random bits from crypto/rand as 32 hex
// digits. The bits are read 32 IDs at a time, into blocks kept per P by
// a sync.Pool: one read (a system call where getrandom has no vDSO)
// serves 32 requests.
func newRequestID() string {
	blk := idBlocks.Get().(*idBlock)
	if blk.off == len(blk.b) {
		_, _ = rand.Read(blk.b[:]) // never fails (crypto/rand, Go 1.24+)
		blk.off = 0
	}
	var s [32]byte
	hex.Encode(s[:], blk.b[blk.off:blk.off+16])
	blk.off += 16
	idBlocks.Put(blk)
	return string(s[:])
}

// idBlock is random bits for 32 request IDs; off is where the next
// one's start.
type idBlock struct {
	b   [32 * 16]byte
	off int
}

var idBlocks = sync.Pool{New: func() any { return &idBlock{off: len(idBlock{}.b)} }}
