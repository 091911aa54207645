// Package sigv4 signs HTTP requests with AWS Signature Version 4 as a
// [retry.Authenticator], so that a [retry.Transport] re-signs every attempt
// and renews expired temporary credentials (STS, IRSA, Vault) once, for
// every request in flight at once. It is a sub-package of retry so that
// only programs that import it link the AWS SDK's signer.
//
// # What it defends against
//
// Clients of S3 and other SigV4 services whose credentials are temporary
// fail in a few well-known ways when those credentials expire while
// requests are in flight:
//
//   - Stale signatures on resends. A request signed once and retried (by
//     the SDK or by a proxy) carries the old X-Amz-Date and the old
//     session token; a retry after a renewal must be signed again.
//     [Authenticator.Authorize] signs every attempt afresh, with the
//     current credentials and the current time.
//   - Refresh stampedes. When a session expires, every request in flight
//     is rejected with ExpiredToken at once. Renewals join one fetch of the
//     [aws.CredentialsProvider]; a rejection of credentials that another
//     request has already replaced fetches nothing (compare-and-swap on
//     the access key and session token the rejected attempt carried).
//   - Expiry in flight. Credentials are renewed Config.RenewBefore ahead
//     of their expiry, by the first request that sees them due, while
//     every other request keeps signing with the still valid ones.
//   - Retry amplification. An SDK's own retryer around harden's Transport
//     multiplies attempts (3 x 3 = 9 per operation). Give the SDK a
//     no-op retryer and let the Transport, with its budget, be the only
//     retry layer; the SDK's own signature is replaced on every attempt,
//     so its credentials provider may be anonymous.
//
// # Payload hash
//
// SigV4 signs a hash of the body. Authorize chooses it, and sends it in
// the X-Amz-Content-Sha256 header, as follows:
//
//   - the caller's X-Amz-Content-Sha256 header, if the request has one
//     (a precomputed hash, or UNSIGNED-PAYLOAD for a stream);
//   - the SHA-256 of the empty string for a request without a body;
//   - the SHA-256 of the body read through GetBody, when the request can
//     be re-read (net/http sets GetBody for bytes, strings and
//     bytes.Buffer bodies; retry.Transport, on a resend, for a stream it
//     copied while the first attempt sent it);
//   - otherwise UNSIGNED-PAYLOAD: a stream is read once, by the
//     connection, and cannot be hashed first. S3 and S3-compatible
//     servers accept it; other services need GetBody or the header.
//
// A chunk-signed stream (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) is refused:
// each chunk's signature chains from the header's, which a re-signed
// attempt would change.
//
// # Where it sits
//
// It is the [retry.Authenticator] of a retry.Transport
// ([retry.WithAuthenticator]); the Transport calls Authorize just before
// each attempt reaches the base RoundTripper, and Renew after an attempt
// is classified [retry.AuthExpired] (401, or a 400 or 403 with an
// ExpiredToken or TokenRefreshRequired error code; S3 answers an expired
// session with 400 ExpiredToken). Headers that layers below it add
// (trace context, by otelhttp) are not signed, which SigV4 permits.
package sigv4
