// Package objectstorage shows an S3 client (the AWS SDK for Go v2's
// service/s3) whose temporary credentials expire while requests are in
// flight, composed with harden so that every request survives the expiry,
// each expiry costs one credential fetch, and no operation is attempted
// more often than harden's retry policy allows.
//
// # Composition
//
// The SDK keeps what it is good at (the S3 API, serialization, errors) and
// hands every attempt to a harden client, its HTTPClient:
//
//	s3.Client (Retryer: aws.NopRetryer, Credentials: anonymous)
//	  -> harden client: retry.Transport (policy, budget, one renewal)
//	       -> sigv4.Authenticator (signs every attempt, renews once per expiry)
//	       -> *http.Transport (timeouts, pool)
//
// Each layer does one job:
//
//   - One retry layer. The SDK's standard retryer makes 3 attempts and
//     harden's Transport 3 for each of them: 9 per operation, and the
//     SDK's attempts are not counted by harden's budget. aws.NopRetryer
//     leaves harden's Transport, with its budget, the only one.
//   - One signer. The SDK signs once per SDK attempt, so a resend after a
//     renewal would carry the old signature. Its signing is turned off
//     (anonymous credentials) and harden's sigv4.Authenticator signs
//     every attempt, including the resend after a renewal.
//   - One credential cache. The Authenticator fetches from the provider
//     (STS, IRSA, Vault) itself, once per expiry for all requests in
//     flight; the SDK never calls the provider.
//   - Checksums only when the operation requires them. Since service/s3
//     v1.73.0 the SDK adds CRC32 trailers to uploads by default, sent as
//     an aws-chunked body that many S3-compatible servers refuse
//     (aws/aws-sdk-go-v2#2960); "when required" keeps bodies plain, and
//     their SHA-256 is signed.
//
// configs/object-storage-client.yaml in the repository is the client
// config for this composition, each value with its reason.
package objectstorage
