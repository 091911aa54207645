// Command loadgen is the load generator of `harden bench`: closed-loop
// HTTP/1.1 keep-alive or HTTP/2-over-TLS load against a loopback server,
// printing what it measured as JSON. See package loadbench.
package main

import "github.com/harden-go/harden/benchmarks/loadbench"

func main() { loadbench.GeneratorMain() }
