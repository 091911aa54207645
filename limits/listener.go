package limits

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Listener is a [net.Listener] that caps how many connections are open at
// once, counted against its [ConnBudget]. Create it with [NewListener] or
// [ConnBudget.Listener]; it is safe for concurrent use.
type Listener struct {
	inner net.Listener
	b     *ConnBudget
}

// ConnBudget is one set of connection caps shared by every [Listener] made
// from it: a server that listens on several addresses (IPv4 and IPv6, two
// ports) holds at most Max connections in all, and a client at most
// MaxPerIP across them, so the caps keep their meaning and the open-file
// budget they protect is not multiplied by the number of listeners.
// Create it with [NewConnBudget]; it is safe for concurrent use.
type ConnBudget struct {
	max      int64
	perIP    int
	conn     ConnConfig
	open     atomic.Int64
	rejected atomic.Uint64

	mu   sync.Mutex
	byIP map[netip.Prefix]int // open connections per client address; nil without a per-address cap
}

// ListenerConfig caps the connections a [Listener] keeps open.
type ListenerConfig struct {
	// Max caps all open connections. Zero or negative: no cap
	// (connections are still counted).
	Max int
	// MaxPerIP caps the open connections of one client address, so a
	// single client (an HTTP/2 SETTINGS or PING flood, or plain
	// connection hoarding) cannot take the whole of Max. IPv6 clients are
	// counted per /64, the prefix one subscriber is usually given (RFC
	// 6177), since a single host can use any address in it. Behind a load
	// balancer every connection comes from its few addresses: raise the
	// cap above Max divided by their number, or disable it. Zero or
	// negative: no per-address cap.
	MaxPerIP int

	// Conn is what each accepted connection enforces on its writes and
	// its close; its zero value enforces nothing.
	Conn ConnConfig
}

var _ net.Listener = (*Listener)(nil)

// NewConnBudget returns a budget capped as cfg says, with no connection
// open yet. Give its [ConnBudget.Listener] every listener of one server.
func NewConnBudget(cfg ListenerConfig) *ConnBudget {
	b := &ConnBudget{max: int64(cfg.Max), perIP: cfg.MaxPerIP, conn: cfg.Conn}
	if cfg.MaxPerIP > 0 {
		b.byIP = make(map[netip.Prefix]int)
	}
	return b
}

// Listener returns l capped by b: its connections count against b's caps
// together with those of every other listener from b. It behaves as
// [NewListener] describes.
func (b *ConnBudget) Listener(l net.Listener) *Listener {
	return &Listener{inner: l, b: b}
}

// NewListener returns l capped as cfg says, with a budget of its own; it is
// NewConnBudget(cfg).Listener(l). Listeners that must share one cap (those
// of one server) come from one [ConnBudget] instead.
//
// At a cap, Accept does not wait for a slot: it accepts the next
// connection, closes it at once, counts it in [Listener.Rejected], and
// goes on accepting. A listener that blocks instead (as
// golang.org/x/net/netutil.LimitListener does) hides the overload in the
// kernel's accept queue, where clients wait silently until their own
// timeouts fire and a load balancer's health checks still pass. A prompt
// close is a fast, visible failure: the client or load balancer tries
// another backend at once, and since the request was never sent, retrying
// it is safe even for a POST.
//
// Give NewListener the plain TCP listener and put TLS on top of it
// ([http.Server.ServeTLS] does), so a rejected client costs no handshake
// and net/http still sees the [*crypto/tls.Conn].
func NewListener(l net.Listener, cfg ListenerConfig) *Listener {
	return NewConnBudget(cfg).Listener(l)
}

// Accept waits for and returns the next connection under the caps.
// Closing the returned connection frees its slots.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			return nil, err
		}
		if client, ok := l.b.admit(c.RemoteAddr()); ok {
			return newConn(c, l.b, client), nil
		}
		l.b.rejected.Add(1)
		_ = c.Close()
	}
}

// admit counts a connection from addr against the caps and returns the
// key it was counted under for the per-address cap. Without a per-address
// cap, or for an address that is not IP (a Unix socket), the connection
// counts against Max only.
func (b *ConnBudget) admit(addr net.Addr) (netip.Prefix, bool) {
	if n := b.open.Add(1); b.max > 0 && n > b.max {
		b.open.Add(-1)
		return netip.Prefix{}, false
	}
	if b.byIP == nil {
		return netip.Prefix{}, true
	}
	key, ok := clientKey(addr)
	if !ok {
		return netip.Prefix{}, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byIP[key] >= b.perIP {
		b.open.Add(-1)
		return netip.Prefix{}, false
	}
	b.byIP[key]++
	return key, true
}

// release frees the slots of a connection admitted under key.
func (b *ConnBudget) release(key netip.Prefix) {
	b.open.Add(-1)
	if !key.IsValid() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byIP[key]--; b.byIP[key] <= 0 {
		delete(b.byIP, key)
	}
}

// clientKey is the prefix a client address is counted under: the address
// itself for IPv4, its /64 for IPv6.
func clientKey(addr net.Addr) (netip.Prefix, bool) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// OpenFrom returns the open connections counted against the per-address
// cap for addr's client (its /64 for IPv6); 0 without a per-address cap.
func (b *ConnBudget) OpenFrom(addr net.Addr) int {
	key, ok := clientKey(addr)
	if !ok || b.byIP == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byIP[key]
}

// Open returns the number of accepted connections not yet closed.
func (b *ConnBudget) Open() int { return int(b.open.Load()) }

// Rejected returns the number of connections closed at accept because a
// cap was reached.
func (b *ConnBudget) Rejected() uint64 { return b.rejected.Load() }

// Close closes the underlying listener; connections already accepted stay
// open.
func (l *Listener) Close() error { return l.inner.Close() }

// Addr returns the underlying listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// OpenFrom is [ConnBudget.OpenFrom] of l's budget: it counts the
// connections of every listener that shares it.
func (l *Listener) OpenFrom(addr net.Addr) int { return l.b.OpenFrom(addr) }

// Open is [ConnBudget.Open] of l's budget.
func (l *Listener) Open() int { return l.b.Open() }

// Rejected is [ConnBudget.Rejected] of l's budget.
func (l *Listener) Rejected() uint64 { return l.b.Rejected() }
