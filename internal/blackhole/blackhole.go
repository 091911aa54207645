// Package blackhole is a loopback TCP proxy that can go silent, as a NAT
// or firewall that dropped a connection's state does: both peers keep an
// open socket, and nothing either sends arrives. harden's client tests
// and the scorecard use it to show that HTTP/2 health PINGs find such a
// connection dead (golang/go#59690).
package blackhole

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// dialTimeout bounds the proxy's connection to its target.
const dialTimeout = 5 * time.Second

// Proxy forwards the connections it accepts on 127.0.0.1 to a target
// address until [Proxy.Silence], after which the connections it carried
// until then forward nothing, in either direction, and stay open.
// Connections accepted later are forwarded. It is safe for concurrent
// use; [Proxy.Close] stops it and waits for its goroutines.
type Proxy struct {
	ln     net.Listener
	target string
	count  atomic.Int32

	mu     sync.Mutex
	silent int32 // connections accepted when Silence was called
	conns  []net.Conn
	wg     sync.WaitGroup
}

// New starts a proxy to target on a fresh loopback port.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Accepted counts the connections the proxy has accepted.
func (p *Proxy) Accepted() int { return int(p.count.Load()) }

// Silence mutes every connection accepted so far.
func (p *Proxy) Silence() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.silent = p.count.Load()
}

// Close closes the listener and every connection, and waits for the
// proxy's goroutines.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		n := p.count.Add(1)
		u, err := net.DialTimeout("tcp", p.target, dialTimeout)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		muted := func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return n <= p.silent
		}
		p.wg.Go(func() { forward(u, c, muted) })
		p.wg.Go(func() { forward(c, u, muted) })
	}
}

// forward copies src to dst, dropping what it reads while muted.
func forward(dst, src net.Conn, muted func() bool) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !muted() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
