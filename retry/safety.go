package retry

import (
	"errors"
	"net"
	"net/http"
	"syscall"
)

// idempotent methods (RFC 9110 §9.2.2): sending one twice has the effect
// of sending it once, so a request that may have reached the server can be
// sent again.
func idempotent(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// resendable reports whether req may be sent again after an attempt that
// may have reached the handler.
func resendable(req *http.Request, unsafe bool) bool {
	return unsafe || idempotent(req.Method) || req.Header.Get("Idempotency-Key") != ""
}

// h2StreamError mirrors the fields of net/http's bundled HTTP/2 stream
// error, which converts itself into any struct of this shape through its As
// method (added so that errors.As works without importing
// golang.org/x/net/http2).
type h2StreamError struct {
	StreamID uint32
	Code     h2ErrCode
	Cause    error
}

type h2ErrCode uint32

func (e h2StreamError) Error() string { return "http2 stream error" }

// h2RefusedStream is REFUSED_STREAM (RFC 9113 §8.7): the server guarantees
// the stream was not processed.
const h2RefusedStream h2ErrCode = 0x7

// neverSent reports whether err proves the request never reached a
// handler: the connection could not be made (including "connection
// refused"), or an HTTP/2 server refused the stream. Such a request is safe
// to send again whatever its method. net/http's HTTP/2 transport already
// resends streams above a GOAWAY's last stream ID by itself, for requests
// whose body it can rewind.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var se h2StreamError
	return errors.As(err, &se) && se.Code == h2RefusedStream
}
