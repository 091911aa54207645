//go:build !unix

package scenarios

import "syscall"

// smallReceiveBuffer leaves the receive buffer alone where it cannot be
// set portably; the reader's pace alone then keeps the window small.
func smallReceiveBuffer(string, string, syscall.RawConn) error { return nil }
