// Package tlsx is the home of harden's TLS and mTLS support. Today it
// holds one subpackage, [github.com/harden-go/harden/tlsx/tlstest], an
// in-memory test PKI that issues correct certificates (with the server and
// client extended key usages that mTLS needs) and deliberately broken ones,
// so that TLS behaviour is tested over real handshakes.
package tlsx
