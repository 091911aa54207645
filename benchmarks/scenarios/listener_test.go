package scenarios

import (
	"io"
	"net"
	"testing"
	"time"
)

func TestCountingListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := newCountingListener(l)
	defer cl.closeAll()

	// Two clients connect; the server reads everything the first sends.
	var clients []net.Conn
	var served []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", cl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := cl.Accept()
		if err != nil {
			t.Fatal(err)
		}
		clients, served = append(clients, c), append(served, s)
	}
	if _, err := clients[0].Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	_ = clients[0].Close()
	n, err := io.Copy(io.Discard, served[0])
	if err != nil || n != 1000 {
		t.Fatalf("server read %d bytes, %v; want 1000", n, err)
	}
	if got := cl.BytesRead(); got != 1000 {
		t.Errorf("BytesRead = %d, want 1000", got)
	}

	_ = served[0].Close()
	_ = served[0].Close() // a second close must not be counted twice
	if open, peak := cl.Open(), cl.Peak(); open != 1 || peak != 2 {
		t.Errorf("open %d, peak %d; want 1 and 2", open, peak)
	}

	// closeAll closes what the server still holds: the second client sees
	// the end of its connection.
	cl.closeAll()
	_ = clients[1].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := clients[1].Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("client read after closeAll: %v, want EOF", err)
	}
	if open := cl.Open(); open != 0 {
		t.Errorf("open after closeAll = %d, want 0", open)
	}
	if _, err := cl.Accept(); err == nil {
		t.Error("Accept after closeAll succeeded")
	}
}
