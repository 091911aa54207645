//go:build !linux

package limits

import "net"

// limitUnsent does nothing where TCP_NOTSENT_LOWAT is not set: the write
// guard then sees a peer stop reading once the send buffer is full.
func limitUnsent(net.Conn, int) {}
