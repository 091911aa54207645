// Package retry resends failed HTTP client requests without making an
// outage worse, replaying a body it cannot rewind, or retrying a request
// that may already have been executed. Its [Transport] is an
// [http.RoundTripper] configured by a [Policy] that can be written in a
// config file (under the key "client.retry") and checked with
// [Policy.Validate].
//
// # What it defends against
//
// Naive retries fail in a few well-known ways, each handled here:
//
//   - Retry storms. Every client retrying every failure three times turns
//     a struggling backend into one receiving three times its load. A
//     per-host budget ([BudgetConfig], after Finagle's and Envoy's retry
//     budgets) caps retries at a fraction of requests, and waits use
//     exponential backoff with full jitter.
//   - First attempts piling onto a failing host. The budget bounds
//     retries, but every caller keeps sending first attempts at full
//     rate. Adaptive throttling ([ThrottleConfig], "Client-Side
//     Throttling" in chapter 21 of Google's SRE book) refuses attempts
//     locally, with [ErrThrottled], in proportion to how many more the
//     client sends than the host accepts; retries count as requests, and
//     a retry it refuses hands back the last answer. It works over a
//     sliding window, so it lets go within one window of a recovery
//     (2 minutes by default, the book's history) and does not engage at
//     all while the window's accepted requests still outnumber half of
//     its requests.
//   - Duplicated side effects. A POST whose body was written may have
//     been executed even if no answer came back. Only requests that
//     provably never reached a handler, idempotent methods, requests with
//     an Idempotency-Key header, or a policy that says so by name
//     (RetryUnsafe) are resent.
//   - Lost or empty bodies. A body is replayed only through GetBody or a
//     bounded copy (MaxReplayBytes); one that cannot be replayed gets
//     exactly one attempt. The copy is kept as the first attempt sends the
//     body, never read ahead: a streaming body (an io.Pipe fed by a slow
//     or full-duplex producer) goes out at once, and the caller's deadline
//     holds while it waits. To resend, the rest of a body the attempt did
//     not send is read within that deadline; a body longer than
//     MaxReplayBytes, failing to read, or not matching the request's
//     ContentLength is not resent, and never sent with another length.
//   - Waits that outlive the caller. All attempts share the caller's
//     deadline; no wait starts that cannot end before it, and a server's
//     Retry-After beyond MaxRetryAfter returns its answer at once.
//   - Credential stampedes. When a token expires, every in-flight request
//     is rejected at once; with [TokenAuth] they collapse into one fetch
//     and each resends once. A 401 is renewed once, never looped; a 403
//     is final unless it says the session expired.
//
// # When a request is resent
//
// [Transport.RoundTrip] resends a failed attempt only when all of these
// hold:
//
//   - The failure is Transient or Throttled ([Classifier]), and the
//     request is safe to resend: it provably never reached a handler
//     (the dial failed, the connection was refused, an HTTP/2 server
//     refused the stream), or its method is idempotent (GET, HEAD,
//     OPTIONS, TRACE, PUT, DELETE), or it carries an Idempotency-Key
//     header, or Policy.RetryUnsafe is set.
//   - Its body is replayable: no body, GetBody, or a body of at most
//     Policy.MaxReplayBytes, copied as the first attempt sends it.
//     Otherwise it gets one attempt.
//   - Attempts remain (Policy.MaxAttempts) and the host's retry budget
//     ([BudgetConfig]) has room.
//   - The wait, the server's Retry-After on 429 and 503 or else the
//     jittered backoff, ends before the caller's deadline. A Retry-After
//     longer than Policy.MaxRetryAfter returns the response at once.
//
// An attempt classified [AuthExpired] with an [Authenticator] set is
// renewed once and resent once, if the body is replayable and the attempt
// went to the origin its redirect chain began at (elsewhere it carried no
// credentials to renew); this is not a retry and does not spend the
// budget. Its response body is closed unread, so on HTTP/1.x net/http
// closes the connection that carried the rejected credentials instead of
// reusing it (a response without any body was complete on arrival and
// its connection is already back in the pool; on HTTP/2 the stream is
// reset and the shared connection kept). The pool itself is left alone:
// one failure never closes other idle connections.
//
// Each attempt is a shallow copy of the request with its own context and
// body, whose headers are cloned when an Authenticator sets them.
//
// # Backoff
//
// The bound of each wait comes from github.com/cenkalti/backoff/v4's
// ExponentialBackOff, the one backoff library of harden: InitialBackoff,
// then times Multiplier, capped at MaxBackoff. Its randomization is off
// (RandomizationFactor 0) and the Policy's Jitter applied instead: the
// wait is drawn uniformly from [bound*(1-Jitter), bound], full jitter
// being [0, bound]. backoff/v4 draws around the interval,
// [I*(1-r), I*(1+r)], which could express that range (I = bound*(1-J/2),
// r = J/(2-J)), but from math/rand's global source, which cannot be
// injected; the Transport's own source makes the waits reproducible in
// tests. Its MaxElapsedTime is off as well: the caller's deadline bounds
// the retries.
//
// # Where it sits
//
// On the client request path of harden, the Transport sits inside
// http.Client (which owns the overall timeout and redirects) and after
// request-ID propagation, and wraps the instrumentation and the pool:
//
//	http.Client -> request ID -> retry.Transport
//	  -> otelhttp.Transport (one client span per attempt)
//	  -> Authenticator (fresh credentials on every attempt)
//	  -> *http.Transport (timeouts, pool, TLS)
//
// Give otelhttp's transport as the base so each attempt is its own span.
// The Authenticator is an [Option] of the Transport, which calls it on
// every attempt just before the base RoundTripper. The package imports no
// other harden package and works with any RoundTripper.
//
// # Observability
//
// A Transport records OpenTelemetry counters for attempts, retries by
// reason, budget refusals, throttled attempts and renewals
// ([MetricAttempts] and the others),
// and logs every retry decision at debug level to a zap logger
// ([WithLogger]). Errors are typed: the final error of a request is an
// [*Error] naming the method, the URL with its password, query values and
// fragment redacted ([RedactURL]), the number of attempts and the last
// status, and wrapping the cause. http.Client wraps it in a *url.Error
// that still carries the raw URL; [RedactError] redacts that one too.
package retry
