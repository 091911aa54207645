package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
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
// one of them is non-nil), to its [Class]. A Classifier may read a prefix
// of the response body, bounded in size and time, if it puts it back (as
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
//   - the error code ExpiredToken or TokenRefreshRequired as the body's
//     error code: an XML <Code> element (S3, STS) or a JSON "code" or
//     "error" member, within the first 4KiB of the body and what arrives
//     within 100ms. What was read is put back, so the caller still sees the
//     whole body, in order; a body held open past that bound is classified
//     on what arrived and never holds the request.
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
		if expiredCode(peekBody(resp)) {
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
