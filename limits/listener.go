package limits

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Listener is a [net.Listener] that caps how many of the connections it
// accepted are open at once. Create it with [NewListener]; it is safe for
// concurrent use.
type Listener struct {
	inner    net.Listener
	max      int64
	perIP    int
	open     atomic.Int64
	rejected atomic.Uint64
	conn     ConnConfig

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

// NewListener returns l capped as cfg says.
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
	ln := &Listener{inner: l, max: int64(cfg.Max), perIP: cfg.MaxPerIP, conn: cfg.Conn}
	if cfg.MaxPerIP > 0 {
		ln.byIP = make(map[netip.Prefix]int)
	}
	return ln
}

// Accept waits for and returns the next connection under the caps.
// Closing the returned connection frees its slots.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			return nil, err
		}
		if n := l.open.Add(1); l.max > 0 && n > l.max {
			l.open.Add(-1)
			l.reject(c)
			continue
		}
		client, ok := l.admit(c.RemoteAddr())
		if !ok {
			l.open.Add(-1)
			l.reject(c)
			continue
		}
		return newConn(c, l, client), nil
	}
}

func (l *Listener) reject(c net.Conn) {
	l.rejected.Add(1)
	_ = c.Close()
}

// admit counts a connection from addr against the per-address cap and
// returns the key it was counted under. Without a cap, or for an address
// that is not IP (a Unix socket), every connection is admitted uncounted.
func (l *Listener) admit(addr net.Addr) (netip.Prefix, bool) {
	if l.byIP == nil {
		return netip.Prefix{}, true
	}
	key, ok := clientKey(addr)
	if !ok {
		return netip.Prefix{}, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byIP[key] >= l.perIP {
		return netip.Prefix{}, false
	}
	l.byIP[key]++
	return key, true
}

func (l *Listener) release(key netip.Prefix) {
	if !key.IsValid() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byIP[key]--; l.byIP[key] <= 0 {
		delete(l.byIP, key)
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
func (l *Listener) OpenFrom(addr net.Addr) int {
	key, ok := clientKey(addr)
	if !ok || l.byIP == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byIP[key]
}

// Close closes the underlying listener; connections already accepted stay
// open.
func (l *Listener) Close() error { return l.inner.Close() }

// Addr returns the underlying listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Open returns the number of accepted connections not yet closed.
func (l *Listener) Open() int { return int(l.open.Load()) }

// Rejected returns the number of connections closed at accept because a
// cap was reached.
func (l *Listener) Rejected() uint64 { return l.rejected.Load() }
