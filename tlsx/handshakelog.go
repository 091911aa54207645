package tlsx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// DefaultHandshakeLogLimit is how many failed handshakes of one kind are
// logged per minute when [WithHandshakeLogLimit] is not given: enough to
// see a misconfigured client at once, few enough that a scanner or a
// fleet of broken clients cannot flood the log.
const DefaultHandshakeLogLimit = 10

// WithHandshakeLogLimit sets how many failed handshakes of each [Kind]
// [ServerSource.Listener] logs per minute; the rest are counted and the
// count is logged with the next line of that kind. Zero or negative: the
// default.
func WithHandshakeLogLimit(perMinute int) ServerOption {
	return serverOptionFunc(func(o *options) { o.logLimit = perMinute })
}

// Listener returns a listener whose connections are TLS connections with
// [ServerSource.TLSConfig], for http.Server.Serve or any server that
// accepts *tls.Conn. Every handshake that fails is logged through the
// source's logger, at warning level, with its [Kind], [Side], the fix,
// the remote address and the error crypto/tls returned, at most the
// limit of [WithHandshakeLogLimit] per kind and minute.
//
// Unlike http.Server.ErrorLog, which receives the failure as the text
// "http: TLS handshake error from ...", the listener obtains the typed
// error: when the server closes a connection whose handshake did not
// complete, crypto/tls returns the stored handshake error again. A
// connection closed before sending a byte (a TCP health check) is not
// logged. Closing the listener closes inner.
//
// http.Server still writes each failure to its ErrorLog as well; give
// it a logger that drops or lowers "http: TLS handshake error" lines to
// avoid logging them twice.
func (s *ServerSource) Listener(inner net.Listener) net.Listener {
	return &listener{Listener: inner, s: s}
}

type listener struct {
	net.Listener
	s *ServerSource
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	w := &watchedConn{Conn: c, s: l.s}
	w.tls = tls.Server(w, l.s.base)
	return w.tls, nil
}

// watchedConn is the transport under one server-side tls.Conn. It notes
// whether the peer sent anything and, when closed, logs a handshake
// that failed.
type watchedConn struct {
	net.Conn
	s     *ServerSource
	tls   *tls.Conn
	read  atomic.Bool
	close sync.Once
}

func (w *watchedConn) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	if n > 0 {
		w.read.Store(true)
	}
	return n, err
}

func (w *watchedConn) Close() error {
	err := w.Conn.Close()
	w.close.Do(func() {
		if !w.read.Load() || w.tls.ConnectionState().HandshakeComplete {
			return
		}
		// The handshake has run (the peer sent bytes) and not
		// completed, so this returns its stored error without I/O; a
		// handshake still running fails at once on the closed conn.
		herr := w.tls.HandshakeContext(context.Background())
		if herr == nil || errors.Is(herr, net.ErrClosed) {
			return
		}
		w.s.hlog.log(w.Conn.RemoteAddr(), herr, w.s.trusted())
	})
	return err
}

// handshakeLog logs failed handshakes, rate-limited per kind.
type handshakeLog struct {
	logger *zap.Logger
	now    func() time.Time
	limit  int

	mu      sync.Mutex
	windows map[Kind]*logWindow
}

type logWindow struct {
	start      time.Time
	logged     int
	suppressed int
}

func newHandshakeLog(o options) *handshakeLog {
	limit := o.logLimit
	if limit <= 0 {
		limit = DefaultHandshakeLogLimit
	}
	return &handshakeLog{logger: o.logger, now: o.now, limit: limit, windows: make(map[Kind]*logWindow)}
}

func (h *handshakeLog) log(addr net.Addr, err error, trusted []*x509.Certificate) {
	now := h.now()
	he := explainAt(err, now, trusted)
	h.mu.Lock()
	w := h.windows[he.Kind]
	if w == nil || now.Sub(w.start) >= time.Minute {
		prev := 0
		if w != nil {
			prev = w.suppressed
		}
		w = &logWindow{start: now, suppressed: prev}
		h.windows[he.Kind] = w
	}
	if w.logged >= h.limit {
		w.suppressed++
		h.mu.Unlock()
		return
	}
	w.logged++
	suppressed := w.suppressed
	w.suppressed = 0
	h.mu.Unlock()

	fields := []zap.Field{
		zap.String("kind", string(he.Kind)),
		zap.String("side", string(he.Side)),
		zap.String("remote_addr", addr.String()),
		zap.String("fix", he.Message),
		zap.Error(err),
	}
	if he.Alert != 0 {
		fields = append(fields, zap.Uint8("alert", he.Alert))
	}
	if suppressed > 0 {
		fields = append(fields, zap.Int("suppressed", suppressed))
	}
	h.logger.Warn("tlsx: TLS handshake failed", fields...)
}
