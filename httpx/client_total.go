package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// ErrTotalTimeout is in the chain of the error of every call that
// client.timeouts.total cut short, whether it was waiting for a response
// or reading its body. It is a timeout, as the error of
// http.Client.Timeout is: a [net.Error] whose Timeout method, like that
// of the *url.Error the client returns, reports true, and errors.Is(err,
// context.DeadlineExceeded) holds for it.
var ErrTotalTimeout error = totalTimeout{}

type totalTimeout struct{}

func (totalTimeout) Error() string { return "httpx: client.timeouts.total exceeded" }

func (totalTimeout) Timeout() bool { return true }

func (totalTimeout) Temporary() bool { return true }

func (totalTimeout) Is(target error) bool { return target == context.DeadlineExceeded }

// totalError is an error that ends a call cut by client.timeouts.total
// and does not say so itself: it wraps both the cause and
// [ErrTotalTimeout], and is a [net.Error] timeout for
// [url.Error.Timeout], which asks only the error it wraps.
type totalError struct{ err error }

func (e *totalError) Error() string { return ErrTotalTimeout.Error() + ": " + e.err.Error() }

func (e *totalError) Unwrap() []error { return []error{ErrTotalTimeout, e.err} }

func (e *totalError) Timeout() bool { return true }

func (e *totalError) Temporary() bool { return true }

// stack is a client's chain of RoundTrippers under its overall deadline.
// It bounds each call, redirects and the read of the final body
// included, by total, as http.Client.Timeout would, but with one context
// deadline that net/http's Transport and the retries under it obey:
// http.Client takes a costlier path (a timer, a goroutine, a cancel
// channel per call) for a Timeout over any RoundTripper other than its
// own. It reaches the pool at the bottom for
// [http.Client.CloseIdleConnections], which only calls a transport's own
// method.
type stack struct {
	next  http.RoundTripper
	base  http.RoundTripper
	total time.Duration // 0: no overall deadline
}

var _ http.RoundTripper = (*stack)(nil)

// RoundTrip sends req through the chain under the call's deadline: total
// from now, or, for a redirect http.Client follows, the deadline of the
// request that began the call. A caller's context that ends sooner is
// left to end the call alone. The deadline's timer stops when the
// response body is closed or read to its end.
func (s *stack) RoundTrip(req *http.Request) (*http.Response, error) {
	if s.total <= 0 {
		return s.next.RoundTrip(req)
	}
	dl := s.deadline(req)
	if cdl, ok := req.Context().Deadline(); ok && !dl.Before(cdl) {
		return s.next.RoundTrip(req)
	}
	ctx, cancel := context.WithDeadlineCause(req.Context(), dl, ErrTotalTimeout)
	resp, err := s.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		err = totalCause(ctx, err)
		cancel()
		return nil, err
	}
	if resp.Body == nil {
		// Against the RoundTripper contract, but http.Client reads it
		// as an empty body: there is nothing left to bound.
		cancel()
		return resp, nil
	}
	resp.Body = &totalBody{rc: resp.Body, ctx: ctx, cancel: cancel, deadline: dl}
	return resp, nil
}

// deadline is the deadline of the call req belongs to: total from now,
// or, when req is a redirect, the deadline the previous hop ran under,
// found on its response body or, when a RoundTripper around the client's
// replaced that body, on the context of the request the response
// answers.
func (s *stack) deadline(req *http.Request) time.Time {
	dl := time.Now().Add(s.total)
	prev := req.Response
	if prev == nil {
		return dl
	}
	if b, ok := prev.Body.(*totalBody); ok {
		return b.deadline
	}
	if prev.Request != nil {
		if pdl, ok := prev.Request.Context().Deadline(); ok && pdl.Before(dl) {
			return pdl
		}
	}
	return dl
}

// CloseIdleConnections closes the idle connections of the base transport.
func (s *stack) CloseIdleConnections() {
	if c, ok := s.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// totalCause returns err, from a call under ctx, marked with
// [ErrTotalTimeout] when ctx's deadline ended the call and err does not
// already say so.
func totalCause(ctx context.Context, err error) error {
	if context.Cause(ctx) != ErrTotalTimeout || errors.Is(err, ErrTotalTimeout) {
		return err
	}
	return &totalError{err: err}
}

// totalBody is a response body read under its call's deadline; it ends
// the deadline's timer once closed or read to its end.
type totalBody struct {
	rc       io.ReadCloser
	ctx      context.Context
	cancel   context.CancelFunc
	deadline time.Time
}

func (b *totalBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch {
	case err == nil:
	case err == io.EOF:
		b.cancel()
	default:
		err = totalCause(b.ctx, err)
	}
	return n, err
}

func (b *totalBody) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}
