package blackhole

import (
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// echo serves an echo on loopback until the test ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// roundTrip writes one byte on c and reports whether it comes back
// before the wait ends.
func roundTrip(t *testing.T, c net.Conn, wait time.Duration) bool {
	t.Helper()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := c.Read(make([]byte, 1))
	return err == nil
}

// A silenced connection stays open and carries nothing; a connection
// made afterwards is forwarded.
func TestSilence(t *testing.T) {
	p, err := New(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	before, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	if !roundTrip(t, before, 5*time.Second) {
		t.Fatal("nothing forwarded before the silence")
	}
	p.Silence()
	// The wait only bounds a read that must not succeed.
	if roundTrip(t, before, 200*time.Millisecond) {
		t.Error("a silenced connection forwarded a byte")
	}
	after, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if !roundTrip(t, after, 5*time.Second) {
		t.Error("a connection made after the silence is not forwarded")
	}
	if p.Accepted() != 2 {
		t.Errorf("Accepted = %d, want 2", p.Accepted())
	}
}
