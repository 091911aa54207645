// Package tlsbench measures TLS handshakes per second over loopback:
// full and resumed handshakes, with and without client certificates,
// for a plain crypto/tls config with a static certificate and for
// tlsx's reloading sources, so the cost of choosing the certificate per
// handshake (GetConfigForClient) and of the allow-list check
// (VerifyConnection) is measured against the bare library. The
// variants run TLS 1.3 except those named tls1.2: a TLS 1.2 resumption
// skips the key exchange and the certificate, while a TLS 1.3 one still
// runs an (EC)DHE exchange, so it saves much less. Client and server run
// in the same process, so ns/op and B/op count both ends.
//
// Run:
//
//	go test -run '^$' -bench . -benchmem ./benchmarks/tlsbench/
package tlsbench
