// Package chainbench measures what harden's request chain costs a
// request: each middleware of package middleware on its own, and the
// whole middleware.Default chain, against a bare handler (in memory) and
// against a bare net/http server (over loopback, in the same run, reported
// as a throughput ratio). Run it with
//
//	go test -run '^$' -bench . -benchmem ./benchmarks/chainbench/
package chainbench
