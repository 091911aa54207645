// Package harden hardens Go HTTP servers and clients against the failures
// every team rediscovers in production: slow clients holding connections,
// handlers answered with EOF, oversized bodies and headers, retries that
// replay what they must not, profiles reachable from the internet.
//
// The module is a set of packages that compose with plain net/http:
//
//   - [github.com/harden-go/harden/httpx] builds *http.Server values from
//     one validated config, with coordinated timeouts, body and header
//     limits, a connection cap, a drain-first shutdown and an admin
//     listener for health checks and pprof.
//   - [github.com/harden-go/harden/limits] holds the body size limit, the
//     body progress guard and the connection-capping listener, usable as
//     ordinary middleware.
//   - [github.com/harden-go/harden/middleware] holds the handler timeout
//     that answers 503 instead of EOF without buffering responses.
//   - [github.com/harden-go/harden/benchmarks/scenarios] holds the attack
//     scenarios that `harden scorecard` runs on loopback against a
//     zero-value http.Server and a harden server.
//
// Run the scorecard with
//
//	go run ./cmd/harden scorecard
package harden
