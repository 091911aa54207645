package tlsx

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/zap"
)

// State is a snapshot of a source: what it serves and how its reloads
// went.
type State struct {
	// Leaf is the certificate served (nil for a client without one). It
	// must not be modified.
	Leaf *x509.Certificate

	// NotAfter is Leaf's expiry; zero without a certificate.
	NotAfter time.Time

	// LastReload is when the files now in use were loaded.
	LastReload time.Time

	// LastCheck is when the files were last read.
	LastCheck time.Time

	// LastError is why the last read was refused, or nil when it
	// succeeded. The previous good version stays in use meanwhile.
	LastError error

	// Reloads counts the new versions taken into use after the first.
	Reloads int

	// Failures counts the reads that were refused.
	Failures int

	// TicketKeys counts the session ticket keys in use, from
	// [ServerConfig.TicketKeysFile]; zero without the file.
	TicketKeys int

	// EncryptingTicketKey names the key that encrypts new tickets,
	// without revealing it: the first 8 hex digits of its SHA-256, as
	// the logs name it. Empty without the file.
	EncryptingTicketKey string
}

// reloader owns the files of one source: it loads them, swaps in each
// new good version, keeps the last good one when a new one is bad, and
// polls in a goroutine it owns until Close or its context ends.
type reloader struct {
	spec     fileSpec
	side     string // "server" or "client"
	interval time.Duration
	o        options
	onSwap   func(*material) // called with each new version, under mu
	// onCheck, when set, is called under mu after every successful read
	// of the files (the first load included), whether or not they
	// changed, with the time of the read.
	onCheck func(now time.Time)

	cur atomic.Pointer[material]

	mu      sync.Mutex // serializes reloads; guards the fields below
	state   State
	lastBad [sha256.Size]byte // the bad version already logged
	expiry  expiryWarner
	closed  bool

	cancel context.CancelFunc
	done   chan struct{}
	gauge  func() error // unregisters the expiry gauge
}

// start loads the files once, failing when they are not usable, and
// starts polling unless interval is negative.
func (r *reloader) start(ctx context.Context) error {
	now := r.o.now()
	m, _, err := r.spec.load(now, r.o.onRead)
	if err != nil {
		return err
	}
	r.cur.Store(m)
	r.state.LastCheck, r.state.LastReload = now, now
	r.onSwap(m)
	if r.onCheck != nil {
		r.onCheck(now)
	}
	r.expiry.check(r.o.logger, r.side, m.leaf(), now)
	unregister, err := registerExpiryGauge(r.o.meter, r.side, r.o.now, r.cur.Load)
	if err != nil {
		return err
	}
	r.gauge = unregister
	r.done = make(chan struct{})
	if r.interval < 0 {
		close(r.done)
		return nil
	}
	ctx, r.cancel = context.WithCancel(ctx)
	go r.run(ctx)
	return nil
}

// run polls the files. After a refused version it retries sooner, with
// exponential backoff capped at the interval: a half-written rotation
// usually completes within seconds.
func (r *reloader) run(ctx context.Context) {
	defer close(r.done)
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = min(time.Second, r.interval)
	bo.MaxInterval = r.interval
	bo.MaxElapsedTime = 0
	delay := r.interval
	for {
		if !r.wait(ctx, delay) {
			return
		}
		if err := r.reload(); err != nil {
			delay = min(bo.NextBackOff(), r.interval)
			continue
		}
		bo.Reset()
		delay = r.interval
	}
}

// wait returns after d, or after a tick when ticks are injected, or
// false when ctx ends.
func (r *reloader) wait(ctx context.Context, d time.Duration) bool {
	if r.o.onWait != nil {
		r.o.onWait(d)
	}
	if r.o.ticks != nil {
		select {
		case <-ctx.Done():
			return false
		case <-r.o.ticks:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// reload reads the files and swaps in a new good version. A bad version
// is logged once, however often it is read again.
func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	now := r.o.now()
	m, hash, err := r.spec.load(now, r.o.onRead)
	r.state.LastCheck = now
	cur := r.cur.Load()
	if err != nil {
		r.state.LastError = err
		r.state.Failures++
		if hash != r.lastBad {
			r.lastBad = hash
			r.o.logger.Warn("tlsx: refused new "+r.side+" TLS files; still serving the last good version",
				zap.Error(err), zap.Time("last_reload", r.state.LastReload))
		}
		return err
	}
	r.state.LastError = nil
	r.lastBad = [sha256.Size]byte{}
	if m.hash != cur.hash {
		m.version = cur.version + 1
		r.cur.Store(m)
		r.onSwap(m)
		r.state.Reloads++
		r.state.LastReload = now
		fields := []zap.Field{zap.Int("version", m.version)}
		if leaf := m.leaf(); leaf != nil {
			fields = append(fields, zap.String("serial", leaf.SerialNumber.Text(16)), zap.Time("not_after", leaf.NotAfter))
		}
		r.o.logger.Info("tlsx: loaded new "+r.side+" TLS files", fields...)
	}
	if r.onCheck != nil {
		r.onCheck(now)
	}
	r.expiry.check(r.o.logger, r.side, r.cur.Load().leaf(), now)
	return nil
}

func (r *reloader) snapshot() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.state
	if leaf := r.cur.Load().leaf(); leaf != nil {
		s.Leaf, s.NotAfter = leaf, leaf.NotAfter
	}
	return s
}

// close stops polling, waits for the goroutine and unregisters the
// gauge. It is idempotent.
func (r *reloader) close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
	<-r.done
	if r.gauge != nil {
		return r.gauge()
	}
	return nil
}
