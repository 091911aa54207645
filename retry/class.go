package retry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
)

// Class is what one attempt's outcome means for the request.
type Class int

const (
	// Success: a response the caller should have (2xx, 3xx, and any status
	// not listed below).
	Success Class = iota
	// Transient: a failure that a later attempt may not see (a transport
	// error, 500, 502, 503 without Retry-After, 504, 408). Retried when
	// the request is safe to resend.
	Transient
	// Throttled: the server asks the client to slow down (429, or 503 with
	// Retry-After). Retried after the server's Retry-After, if it is not
	// longer than Policy.MaxRetryAfter.
	Throttled
	// AuthExpired: the credentials were rejected as expired (401, a 403
	// carrying an expired-session signal, or a 400 carrying an S3-style
	// expired-token error code). With an [Authenticator], renewed once and
	// resent once.
	AuthExpired
	// Forbidden: 403 without an expired-session signal. The credentials
	// are valid and not enough; resending cannot help, so it is returned at
	// once.
	Forbidden
	// Permanent: a failure no resend can fix (other 4xx, TLS verification
	// errors, a cancelled request). Returned at once.
	Permanent
)

var classNames = [...]string{"success", "transient", "throttled", "auth_expired", "forbidden", "permanent"}

// String returns the class's name as it appears in metrics and logs
// ("transient", "auth_expired").
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return "unknown"
	}
	return classNames[c]
}

// Classifier maps one attempt's outcome, a response or an error (exactly
// one of them is non-nil), to its [Class]. A Classifier may read at most a
// bounded prefix of the response body if it puts it back (as
// [DefaultClassifier] does for 403); it must not close it. Whether a
// request is safe to resend is decided separately, from its method,
// headers and whether it can have reached the server.
type Classifier func(*http.Response, error) Class

// DefaultClassifier is the [Classifier] a [Transport] uses unless
// [WithClassifier] replaces it. Errors are Transient, except TLS
// certificate verification failures and context cancellation, which are
// Permanent. Statuses map as documented on each [Class]; a 403 is
// AuthExpired when it carries an expired-session signal:
//
//   - WWW-Authenticate: Bearer error="invalid_token" (RFC 6750 §3.1),
//   - X-Session-Status: expired,
//   - an S3-style error code ExpiredToken or TokenRefreshRequired within
//     the first 4KiB of the body, which is read and put back so the caller
//     still sees the whole body.
//
// A 400 is AuthExpired when its body carries such an error code: S3 answers
// an expired session token with 400 Bad Request, code ExpiredToken.
//
// Classification never matches error strings: errors are inspected with
// [errors.As] and [errors.Is].
func DefaultClassifier(resp *http.Response, err error) Class {
	if err != nil {
		return classifyError(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return Throttled
	case http.StatusServiceUnavailable:
		if resp.Header.Get("Retry-After") != "" {
			return Throttled
		}
		return Transient
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return Transient
	case http.StatusUnauthorized:
		return AuthExpired
	case http.StatusBadRequest:
		if expiredCode(resp) {
			return AuthExpired
		}
		return Permanent
	case http.StatusForbidden:
		if expiredSession(resp) {
			return AuthExpired
		}
		return Forbidden
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		return Permanent
	}
	return Success
}

func classifyError(err error) Class {
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.Canceled),
		errors.As(err, &verr), errors.As(err, &uerr), errors.As(err, &herr), errors.As(err, &cerr):
		return Permanent
	}
	return Transient
}

// peekLimit bounds how much of a 403 body is read for an expired-session
// error code: enough for any S3-style XML or JSON error envelope, little
// enough that an attacker-sized body costs nothing.
const peekLimit = 4 << 10

var expiredCodes = [][]byte{[]byte("ExpiredToken"), []byte("TokenRefreshRequired")}

func expiredSession(resp *http.Response) bool {
	if bearerError(resp.Header.Values("WWW-Authenticate")) == "invalid_token" {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(resp.Header.Get("X-Session-Status")), "expired") {
		return true
	}
	return expiredCode(resp)
}

// expiredCode reports whether the start of resp's body carries an
// expired-token error code.
func expiredCode(resp *http.Response) bool {
	prefix := peekBody(resp)
	for _, code := range expiredCodes {
		if bytes.Contains(prefix, code) {
			return true
		}
	}
	return false
}

// peekBody reads at most peekLimit bytes of resp.Body and puts them back in
// front of the rest. When the length is known it stops one byte short of
// the end: reading the last byte hands the connection back to the pool,
// and a connection that carried an auth failure must not be reused.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	n := int64(peekLimit)
	if resp.ContentLength >= 0 && resp.ContentLength <= n {
		n = resp.ContentLength - 1
	}
	if n <= 0 {
		return nil
	}
	buf := make([]byte, n)
	got, err := io.ReadFull(resp.Body, buf)
	buf = buf[:got]
	resp.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(buf), errReader{err}, resp.Body), Closer: resp.Body}
	return buf
}

// errReader returns err from its first Read, or io.EOF (ending its part of
// a MultiReader) when err is nil or io.EOF.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err == nil || errors.Is(r.err, io.ErrUnexpectedEOF) || r.err == io.EOF {
		return 0, io.EOF
	}
	return 0, r.err
}

type peekedBody struct {
	io.Reader
	io.Closer
}
