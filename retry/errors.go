package retry

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/harden-go/harden/internal/configerr"
)

// ConfigError is one problem found by [Policy.Validate] or refused by
// [NewTransport]. Field is the key path as written in a config file
// ("client.retry.max_attempts"), Rule a stable rule name that programs
// and tests can match ("range"), and Reason says what is wrong and how to
// fix it. It is the same type as httpx's and tlsx's
// ConfigError.
type ConfigError = configerr.Error

// Rule names reported in [ConfigError.Rule]. They are stable across
// versions.
const (
	// RuleRange: a value outside the range the field accepts.
	RuleRange = "range"
	// RuleBackoffOrder: max_backoff below initial_backoff.
	RuleBackoffOrder = "backoff-order"
	// RuleRetriesWithinDeadline: the retries a policy allows cannot fit in
	// the overall deadline they run under (see [Policy.ValidateWithin]).
	RuleRetriesWithinDeadline = "retries-within-deadline"
)

// problems collects ConfigErrors under a key prefix.
type problems = configerr.Problems

// Error is the error [Transport.RoundTrip] returns when its last attempt
// ended in an error rather than a response. It names the request, with its
// URL passed through [RedactURL], how many attempts were made and the
// status of the last response seen, if any, and wraps the cause. When a
// timeout caused it, the caller's deadline or one of the base
// RoundTripper's, [Error.Timeout] reports true and errors.Is(err,
// context.DeadlineExceeded) holds.
//
// When the last attempt produced a response, RoundTrip returns that
// response and a nil error, as the [http.RoundTripper] contract requires;
// the caller reads the status itself.
//
// [http.Client] wraps every error of its Transport in a [*url.Error] whose
// URL keeps the query and fragment; pass the client's error through
// [RedactError] before logging or returning it.
type Error struct {
	Method     string // request method
	URL        string // request URL, redacted
	Attempts   int    // attempts sent to the base RoundTripper
	LastStatus int    // status of the last response seen, 0 if none
	Err        error  // cause of the last failure
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("retry: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.URL)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.Attempts))
	if e.Attempts == 1 {
		b.WriteString(" attempt")
	} else {
		b.WriteString(" attempts")
	}
	if e.LastStatus != 0 {
		b.WriteString(", last status ")
		b.WriteString(strconv.Itoa(e.LastStatus))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the cause is a timeout: an error in its chain
// whose Timeout method reports true (a [net.Error], net/http's response
// header timeout) or [context.DeadlineExceeded]. [url.Error.Timeout],
// which asks only the error it wraps, relies on it.
func (e *Error) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var te interface{ Timeout() bool }
	return errors.As(e.Err, &te) && te.Timeout()
}

// Is reports whether target is [context.DeadlineExceeded] and e a
// timeout, as the timeout errors of packages net and net/http do; the
// HTTP/2 transport's response header timeout alone does not.
func (e *Error) Is(target error) bool {
	return target == context.DeadlineExceeded && e.Timeout()
}

// RedactURL returns u as it may appear in logs and errors: the password
// replaced as [url.URL.Redacted] does, every query value replaced by
// "REDACTED" with the keys kept so the request stays recognisable, and a
// fragment replaced by "REDACTED". API keys and signed-URL signatures
// travel in queries; the OAuth 2.0 implicit flow returns access tokens in
// the fragment (RFC 6749 §4.2.2). A nil u gives "".
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.RawQuery == "" && u.Fragment == "" {
		return u.Redacted()
	}
	c := *u
	if c.RawQuery != "" {
		q := c.Query()
		for k, vs := range q {
			for i := range vs {
				vs[i] = "REDACTED"
			}
			q[k] = vs
		}
		c.RawQuery = q.Encode()
	}
	if c.Fragment != "" {
		c.Fragment, c.RawFragment = "REDACTED", ""
	}
	return c.Redacted()
}

// RedactError returns err, as [http.Client] returns it, with the URL of
// its [*url.Error] passed through [RedactURL], so that API keys, tokens
// and signatures in the query or fragment stay out of logs and of errors
// handed on. The *url.Error is copied, never modified, and wraps the same
// cause, so errors.Is, errors.As and Timeout answer as before. An err that
// is not a *url.Error (nil included) is returned as it is: one that wraps
// a *url.Error has already written its URL into its own message.
func RedactError(err error) error {
	ue, ok := err.(*url.Error)
	if !ok {
		return err
	}
	c := *ue
	c.URL = redactURLString(ue.URL)
	c.Err = RedactError(ue.Err)
	return &c
}

// redactURLString is [RedactURL] for a URL in text form; text that does
// not parse keeps only what precedes its query and fragment.
func redactURLString(s string) string {
	if u, err := url.Parse(s); err == nil {
		return RedactURL(u)
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i]
	}
	return s
}
