// Package loadbench measures whole servers the way an operator would:
// each variant in a process of its own, driven over loopback by a load
// generator in another process, HTTP/1.1 with keep-alive and HTTP/2 over
// TLS, with the variants taken in rotating order over several rounds and
// the medians reported.
//
// The pieces:
//
//   - [ServerMain] is the main of a server process: it serves
//     GET /hello (13 bytes) behind the variant named by its -variant
//     flag and prints its address. benchmarks/benchserver holds harden's
//     variants; benchmarks/peers/cmd/peerserver, in the peers module, the
//     peer libraries', so that none of them enters harden's go.mod.
//   - [GeneratorMain] is the main of the load generator
//     (benchmarks/loadgen): closed-loop connections, each with one request
//     (HTTP/1.1) or a fixed number of streams (HTTP/2) in flight, or an
//     offered load on a fixed schedule, and the latency of every request.
//   - [Run] builds both, pins the server to CPU 0 and the generator to
//     CPU 1 (taskset), runs every variant, profiles raw net/http and
//     harden's setups once more, adds the allocation counts of the Go
//     benchmarks, and writes BENCHMARKS.md and its chart.
//     `harden bench` calls it.
//
// Pinning gives the server one CPU (GOMAXPROCS=1) and the generator the
// other, so the generator's work does not show in the server's figures.
// Where taskset is missing or refused, both run unpinned and the report
// says so.
package loadbench
