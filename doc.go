// Package harden hardens Go HTTP servers and clients against the failures
// every team rediscovers in production: slow clients holding connections,
// handlers answered with EOF, oversized bodies and headers, retries that
// replay what they must not, certificates that cannot rotate, profiles
// reachable from the internet.
//
// # Vocabulary
//
// This package holds what every config of the module shares. [Duration],
// [Bytes] and [Rate] are the fields' types for lengths of time, sizes and
// transfer rates; they marshal as text, so a config reads and writes
// "30s", "1MiB" and "35KiB/s" in YAML and JSON alike, and Go code writes
// them with constants (30 * harden.Second, 8 * harden.MiB). Every Validate
// method and constructor of the module reports its problems as
// [*ConfigError] values, each naming the key path, a stable rule and the
// fix, joined so that [ConfigErrors] lists them all. The package imports
// the standard library only, so that any package can use it.
//
// # Packages
//
// The module is a set of packages that compose with plain net/http:
//
//   - [github.com/harden-go/harden/httpx] builds *http.Server values from
//     one validated config (coordinated timeouts, body and header limits,
//     connection caps, load shedding, a maximum connection age, HTTP/2
//     settings, TLS, a drain-first shutdown, an admin listener for health
//     checks and pprof), and *http.Transport and *http.Client values from
//     another (pools, response-header timeouts, HTTP/2 health pings, mTLS,
//     retries, safe redirects).
//   - [github.com/harden-go/harden/middleware] holds the server request
//     path as ordinary middleware: request IDs, tracing (otelhttp), the
//     access log (zap), panic recovery and the handler timeout that
//     answers 503 instead of EOF, composed by its Default; and the client
//     RoundTrippers that carry request IDs and traces on.
//   - [github.com/harden-go/harden/limits] holds the body size limit, the
//     body progress guard, load shedding, the connection caps with their
//     slow-reader and lingering-close guards, and the runtime memory limit
//     from the container's.
//   - [github.com/harden-go/harden/tlsx] builds TLS and mTLS configs whose
//     certificates reload from files (Kubernetes secret volumes included),
//     checks peer identities, and explains failed handshakes;
//     [github.com/harden-go/harden/tlsx/tlstest] is an in-memory PKI for
//     tests.
//   - [github.com/harden-go/harden/retry] is a retrying RoundTripper with a
//     budget, adaptive throttling, backoff, Retry-After, safe body replay
//     and credential renewal; [github.com/harden-go/harden/retry/sigv4]
//     signs every attempt with SigV4 for S3 and other AWS APIs.
//   - [github.com/harden-go/harden/config] loads whole-service files
//     strictly and lints them against the Kubernetes, Traefik and Envoy
//     files deployed with them.
//   - [github.com/harden-go/harden/configs] embeds commented reference
//     configs.
//   - [github.com/harden-go/harden/benchmarks/scenarios] holds the
//     scenarios that `harden scorecard` runs on loopback, comparing a
//     baseline with harden in one table per kind of scenario.
//
// Run the scorecard with
//
//	go run ./cmd/harden scorecard
package harden
