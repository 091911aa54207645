package scenarios_test

import (
	"fmt"

	"github.com/harden-go/harden/benchmarks/scenarios"
)

// The scenarios the scorecard runs, in order, each with what harden must
// do against it.
func ExampleAll() {
	for _, s := range scenarios.All() {
		fmt.Printf("%s: %s\n", s.Name, s.Expect)
	}
	// Output:
	// slow-headers: closes every connection within read_header + 1s
	// idle-hoarding: closes every silent connection within read_header + 1s
	// slow-body: answers or closes the connection within body_window + 2s
	// oversized-body-cl: answers 413 before reading more than max_body + 64KiB
	// oversized-body-chunked: answers 413 once the body passes max_body
	// header-bomb: answers 431 Request Header Fields Too Large
	// handler-overrun: answers a complete 503 application/problem+json instead of EOF or a hang
	// shutdown-loss: loses no request in the 2s the load balancer still routes to it
	// h2-rapid-reset: never runs more handlers at once than the max_concurrent_streams it advertises, and keeps serving other clients
	// h2-made-you-reset: never runs more handlers at once than the max_concurrent_streams it advertises, and keeps serving other clients
	// h2-continuation-flood: closes the connection before reading more than max_header + 64KiB of the endless header block
	// h2-ping-flood: closes the connection within limits.write_stall_timeout + 2s of the flood, once its acknowledgements stop being read, and keeps serving other clients
	// h2-settings-flood: keeps serving other clients during the flood (HTTP/2 gives no grounds to refuse SETTINGS; the cost is CPU)
	// h2-stalled-headers: ends the connection (GOAWAY or close) within http2.ping_after + ping_timeout + 2s
	// h2-stalled-body: answers the stream or resets it within body_window + 2s
	// h2-stream-exhaustion: runs at most max_concurrent_streams handlers for the connection, refusing (RST_STREAM) or queueing the streams beyond, and keeps serving other clients
}
