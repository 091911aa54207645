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
}
