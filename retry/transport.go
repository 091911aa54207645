package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/zap"
)

// Transport is an [http.RoundTripper] that resends failed attempts of a
// request through a base RoundTripper, within one deadline, a per-host
// retry budget and the rules of its [Policy]. Build one with
// [NewTransport]; the zero Transport is not usable. It is safe for
// concurrent use; it holds no goroutines.
type Transport struct {
	base     http.RoundTripper
	p        Policy
	classify Classifier
	auth     Authenticator
	budget   *budget
	throttle *throttle
	clock    clock
	rand     func() float64
	ins      *instruments
	log      *zap.Logger
}

var _ http.RoundTripper = (*Transport)(nil)

// errNoReplay is returned if a body that was thought replayable was not;
// it guards against sending an empty body on a retry.
var errNoReplay = errors.New("retry: request body cannot be replayed")

// errNilURL refuses a request without a URL, as net/http does.
var errNilURL = errors.New("retry: nil Request.URL")

// errNoTimeLeft wraps context.DeadlineExceeded when a retry was not
// started because it could not begin before the caller's deadline.
var errNoTimeLeft = fmt.Errorf("retry: no time left for another attempt before the deadline: %w", context.DeadlineExceeded)

// drainLimit bounds how much of a discarded response body is read so its
// connection can be reused: small bodies are cheaper to read than a new
// connection, large ones are not worth it.
const drainLimit = 4 << 10

// NewTransport returns a Transport that sends through base (nil:
// [http.DefaultTransport]) under policy p, after its zero fields take their
// defaults. It refuses a policy that [Policy.Validate] rejects.
//
// It records these OpenTelemetry counters through the meter provider of
// [WithMeterProvider]: [MetricAttempts], [MetricRetries] (attribute
// "reason"), [MetricBudgetExhausted] and [MetricRenewals] (attribute
// "outcome"). Put otelhttp's transport in base, not around the Transport,
// to get one client span per attempt.
func NewTransport(base http.RoundTripper, p Policy, opts ...Option) (*Transport, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p = p.withDefaults()
	o := newOptions(opts)
	if base == nil {
		base = http.DefaultTransport
	}
	ins, err := newInstruments(o.meter)
	if err != nil {
		return nil, fmt.Errorf("retry: metrics: %w", err)
	}
	return &Transport{
		base: base, p: p, classify: o.classify, auth: o.auth,
		budget: newBudget(p.Budget, o.clock.Now), throttle: newThrottle(p.Throttle, o.clock.Now),
		clock: o.clock, rand: o.rand,
		ins: ins, log: o.logger,
	}, nil
}

// Base returns the RoundTripper the Transport sends through.
func (t *Transport) Base() http.RoundTripper { return t.base }

// RoundTrip implements [http.RoundTripper]. It sends req through the base
// RoundTripper and resends a failed attempt while the failure is
// Transient or Throttled ([Classifier]), req is safe to resend and its
// body replayable, attempts and the host's retry budget remain, and the
// wait ends before the caller's deadline; an attempt classified
// [AuthExpired] is renewed through the [Authenticator] and resent once
// ("When a request is resent" in the package documentation).
//
// RoundTrip never modifies req and closes req.Body on every path. Every
// response it discards is drained (at most 4KiB) and closed; the caller
// owns the one returned. When the last attempt ends in an error, it
// returns an [*Error].
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errNilURL
	}
	ctx := req.Context()
	rbv := newReplay(req, int64(t.p.MaxReplayBytes))
	rb := &rbv
	// Whatever attempt is returned keeps its body, which the base
	// RoundTripper may still be sending (full-duplex streaming).
	defer rb.release()
	host := req.URL.Host
	if !t.throttle.allow(host, t.rand()) {
		rb.close()
		t.ins.throttled.Add(ctx, 1)
		return nil, t.fail(req, 0, 0, ErrThrottled)
	}
	t.budget.request(host)

	var (
		attempts   int
		lastStatus int
		renewed    bool
		bo         *backoff.ExponentialBackOff // made at the first retry
	)
	for {
		if err := ctx.Err(); err != nil {
			rb.close()
			return nil, t.fail(req, attempts, lastStatus, err)
		}
		areq, cancel, err := t.attemptRequest(req, rb)
		if err != nil {
			rb.close()
			return nil, t.fail(req, attempts, lastStatus, err)
		}
		attempts++
		t.ins.attempts.Add(ctx, 1)
		rb.watch(areq.Context())
		resp, err := t.base.RoundTrip(areq)
		rb.unwatch()
		if resp != nil && cancel != nil {
			resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
		} else if cancel != nil {
			cancel()
		}
		if err != nil {
			resp = nil
		} else {
			lastStatus = resp.StatusCode
		}
		// The caller's own cancellation says nothing of the host.
		t.throttle.done(host, !overloaded(resp, err) || ctx.Err() != nil)
		class := t.classify(resp, err)

		switch class {
		case Transient, Throttled:
		case AuthExpired:
			// An attempt to another origin carried no credentials of
			// ours: its rejection says nothing about them.
			if t.auth == nil || renewed || leftOrigin(req) || ctx.Err() != nil {
				return t.finish(req, resp, err, attempts, lastStatus)
			}
			if rb.settle(ctx); !rb.canReplay() {
				return t.finish(req, resp, err, attempts, lastStatus)
			}
			renewed = true
			if resp != nil {
				// Closed unread: net/http then closes this connection
				// rather than return it to the pool.
				resp.Body.Close()
			}
			rerr := t.auth.Renew(ctx, areq)
			if rerr != nil {
				t.ins.renewals.Add(ctx, 1, t.ins.renewErr)
				t.log.Debug("retry: renewal failed", zap.String("method", req.Method), zap.String("url", RedactURL(req.URL)), zap.Error(rerr))
				rb.close()
				return nil, t.fail(req, attempts, lastStatus, fmt.Errorf("renewing credentials: %w", rerr))
			}
			t.ins.renewals.Add(ctx, 1, t.ins.renewOK)
			t.log.Debug("retry: renewed credentials, resending", zap.String("method", req.Method), zap.String("url", RedactURL(req.URL)),
				zap.Int("attempt", attempts), zap.Int("status", lastStatus))
			continue
		default:
			return t.finish(req, resp, err, attempts, lastStatus)
		}

		// A transient failure or throttling: decide whether to retry.
		reason, ok := t.mayRetry(ctx, req, err, attempts)
		if !ok {
			t.giveUp(req, class, reason, attempts, lastStatus)
			return t.finish(req, resp, err, attempts, lastStatus)
		}
		if bo == nil {
			bo = t.p.schedule(t.clock)
		}
		wait := t.p.jitter(bo.NextBackOff(), t.rand())
		if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
			if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.clock.Now()); ok {
				if t.p.MaxRetryAfter >= 0 && ra > t.p.MaxRetryAfter {
					t.giveUp(req, class, "retry-after above max_retry_after", attempts, lastStatus)
					return t.finish(req, resp, nil, attempts, lastStatus)
				}
				wait = ra
			}
		}
		if dl, ok := ctx.Deadline(); ok && !t.clock.Now().Add(wait).Before(dl) {
			t.giveUp(req, class, "no time left before the deadline", attempts, lastStatus)
			if resp != nil {
				return t.finish(req, resp, nil, attempts, lastStatus)
			}
			rb.close()
			return nil, t.fail(req, attempts, lastStatus, fmt.Errorf("%w: %w", errNoTimeLeft, err))
		}
		if rb.settle(ctx); !rb.canReplay() {
			t.giveUp(req, class, "body cannot be replayed", attempts, lastStatus)
			return t.finish(req, resp, err, attempts, lastStatus)
		}
		if !t.budget.tryRetry(host) {
			t.ins.budget.Add(ctx, 1)
			t.giveUp(req, class, "retry budget exhausted", attempts, lastStatus)
			return t.finish(req, resp, err, attempts, lastStatus)
		}
		if !t.throttle.allow(host, t.rand()) {
			t.ins.throttled.Add(ctx, 1)
			t.giveUp(req, class, "throttled locally", attempts, lastStatus)
			return t.finish(req, resp, err, attempts, lastStatus)
		}
		if resp != nil {
			drain(resp.Body)
		}
		t.ins.retries.Add(ctx, 1, t.ins.reason[class])
		t.log.Debug("retry: retrying", zap.String("method", req.Method), zap.String("url", RedactURL(req.URL)),
			zap.Stringer("reason", class), zap.Int("attempt", attempts), zap.Int("status", lastStatus),
			zap.Duration("wait", wait), zap.NamedError("cause", err))
		if wait > 0 {
			if serr := t.clock.Sleep(ctx, wait); serr != nil {
				rb.close()
				return nil, t.fail(req, attempts, lastStatus, serr)
			}
		}
	}
}

// mayRetry checks everything but time, body and budget; reason says why
// not. The body is checked after the wait fits the deadline, since
// settling it may read the rest of the body.
func (t *Transport) mayRetry(ctx context.Context, req *http.Request, err error, attempts int) (string, bool) {
	switch {
	case attempts >= t.p.MaxAttempts:
		return "attempts exhausted", false
	case ctx.Err() != nil:
		return "context done", false
	case !(err != nil && neverSent(err)) && !resendable(req, t.p.RetryUnsafe):
		return "method not safe to resend", false
	}
	return "", true
}

func (t *Transport) giveUp(req *http.Request, class Class, reason string, attempts, status int) {
	t.log.Debug("retry: giving up", zap.String("method", req.Method), zap.String("url", RedactURL(req.URL)),
		zap.Stringer("class", class), zap.String("reason", reason), zap.Int("attempts", attempts), zap.Int("status", status))
}

// attemptRequest builds the request for one attempt. cancel, when not nil,
// ends the attempt's context and must be called once its response body is
// done with.
func (t *Transport) attemptRequest(req *http.Request, rb *replay) (*http.Request, context.CancelFunc, error) {
	ctx := req.Context()
	var cancel context.CancelFunc
	if d := t.p.PerAttemptTimeout; d > 0 {
		if dl, ok := ctx.Deadline(); !ok || dl.Sub(t.clock.Now()) > d {
			ctx, cancel = context.WithTimeout(ctx, d)
		}
	}
	body, err := rb.next()
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, nil, err
	}
	var areq *http.Request
	switch {
	case t.auth != nil:
		areq = req.Clone(ctx)
		if areq.Header == nil {
			areq.Header = make(http.Header)
		}
	case ctx != req.Context() || body != req.Body:
		areq = req.WithContext(ctx)
	default:
		areq = req
	}
	if body != req.Body {
		areq.Body = body
		if rb.buffered {
			// settle kept the body only at the caller's ContentLength,
			// if one was given: this sets the same length, or a known
			// one for a body of unknown length.
			areq.ContentLength = int64(len(rb.buf))
			areq.GetBody = rb.getBodyFunc()
		}
	}
	if t.auth != nil && !leftOrigin(req) {
		if err := t.auth.Authorize(areq); err != nil {
			if body != nil {
				body.Close()
			}
			if cancel != nil {
				cancel()
			}
			return nil, nil, fmt.Errorf("authorizing: %w", err)
		}
	}
	// A streamed first attempt gets its GetBody only after Authorize: the
	// authenticator sees the stream as the caller gave it (no GetBody, so
	// SigV4 signs UNSIGNED-PAYLOAD), and cannot take the body over before
	// it is sent.
	if body != req.Body && !rb.buffered {
		if gb := rb.teeGetBody(req.Context()); gb != nil {
			areq.GetBody = gb
		}
	}
	return areq, cancel, nil
}

// finish returns the last outcome: the response as it is, or the error as
// an *Error.
func (t *Transport) finish(req *http.Request, resp *http.Response, err error, attempts, status int) (*http.Response, error) {
	if err != nil {
		return nil, t.fail(req, attempts, status, err)
	}
	return resp, nil
}

func (t *Transport) fail(req *http.Request, attempts, status int, err error) error {
	ctx := req.Context()
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	return &Error{Method: req.Method, URL: RedactURL(req.URL), Attempts: attempts, LastStatus: status, Err: err}
}

// drain reads at most drainLimit bytes of a discarded body and closes it,
// so that net/http can reuse a connection whose response was short.
func drain(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainLimit)
	body.Close()
}

// cancelBody ends an attempt's own context when its body is closed; the
// context must outlive RoundTrip, since the caller reads the body after.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// CloseIdleConnections closes the idle connections of the base
// RoundTripper, if it has a CloseIdleConnections method, so that
// [http.Client.CloseIdleConnections] reaches the pool through the
// Transport. The Transport itself never calls it.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// leftOrigin reports whether req is a redirect that http.Client followed
// to another origin (scheme, host and port) than the request that began
// the chain. Credentials are not attached there: a redirect must not hand
// an API's token to whatever host it names, just as net/http drops the
// caller's Authorization header on redirects to other hosts.
func leftOrigin(req *http.Request) bool {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	if first == req || first.URL == nil || req.URL == nil {
		return false
	}
	return first.URL.Scheme != req.URL.Scheme || first.URL.Host != req.URL.Host
}
