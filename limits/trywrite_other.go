//go:build !unix

package limits

import "net"

// tryWriter is not used where writes cannot be tried on the descriptor:
// every guarded write arms its deadline.
type tryWriter struct{}

func newTryWriter(net.Conn) *tryWriter { return nil }

func (*tryWriter) write([]byte) (int, error) { return 0, nil }
