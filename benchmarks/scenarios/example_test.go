package scenarios_test

import (
	"fmt"

	"github.com/harden-go/harden/benchmarks/scenarios"
)

// The scenarios the scorecard runs, in order, each with its kind (the
// table it is a row of) and what harden must do against it.
func ExampleAll() {
	for _, s := range scenarios.All() {
		fmt.Printf("%s %s: %s\n", s.Kind, s.Name, s.Expect)
	}
	// Output:
	// server unattacked: answers every request
	// server slow-headers: closes every connection within read_header + 1s
	// server idle-hoarding: closes every silent connection within read_header + 1s
	// server slow-body: answers or closes the connection within body_window + 2s
	// server oversized-body-cl: answers 413 before reading more than max_body + 64KiB
	// server oversized-body-chunked: answers 413 once the body passes max_body
	// server header-bomb: answers 431 Request Header Fields Too Large
	// server handler-overrun: answers a complete 503 application/problem+json instead of EOF or a hang
	// server shutdown-loss: loses no request in the 2s the load balancer still routes to it
	// server h2-unattacked: answers every request
	// server h2-rapid-reset: never runs more handlers at once than the max_concurrent_streams it advertises, and keeps serving other clients
	// server h2-made-you-reset: never runs more handlers at once than the max_concurrent_streams it advertises, and keeps serving other clients
	// server h2-continuation-flood: closes the connection before reading more than max_header + 64KiB of the endless header block
	// server h2-ping-flood: closes the connection within limits.write_stall_timeout + 2s of the flood, once its acknowledgements stop being read, and keeps serving other clients
	// server h2-settings-flood: keeps serving other clients during the flood (HTTP/2 gives no grounds to refuse SETTINGS; the cost is CPU)
	// server h2-stalled-headers: ends the connection (GOAWAY or close) within http2.ping_after + ping_timeout + 2s
	// server h2-stalled-body: answers the stream or resets it within body_window + 2s
	// server h2-stream-exhaustion: runs at most max_concurrent_streams handlers for the connection, refusing (RST_STREAM) or queueing the streams beyond, and keeps serving other clients
	// server overload: keeps the p99 latency of the requests it admits within 2x its unloaded p99, and answers at least 70% of its capacity
	// server slow-read: frees every connection, kernel buffers included, within limits.write_stall_timeout + 2s
	// tls tls-rotation: the new certificate is served without a restart, no handshake fails
	// tls tls-diagnosis: every failure is named by its kind, with the fix
	// client connection-churn: opens at most 128 connections for 64 concurrent callers (one per caller, with slack for a caller that asks before its connection is back in the pool)
	// client slow-header: fails the call with a timeout error within response_header + 1s
	// client dead-http2-connection: a call succeeds on a new connection within http2.ping_after + ping_timeout + 1s of the silence
	// client retry-storm: sends at most 1.5 attempts per call to a service that fails every call
	// client expired-token-storm: fetches one new token for the whole storm and loses no call
	// client backend-outage: sends the failing service at most 50% of its healthy rate and recovers before 3.0s
}
