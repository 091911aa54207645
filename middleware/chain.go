package middleware

import (
	"net/http"
	"time"

	"github.com/harden-go/harden/limits"
)

// Chain composes middleware so that the first one listed is the
// outermost: Chain(a, b, c)(h) is a(b(c(h))), the order in which a request
// passes them. Nil entries are skipped; Chain() returns its handler
// unchanged.
func Chain(mw ...func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		for i := len(mw) - 1; i >= 0; i-- {
			if mw[i] != nil {
				h = mw[i](h)
			}
		}
		return h
	}
}

// Defaults of [DefaultConfig], the same as package httpx's.
const (
	defaultHandlerTimeout = 30 * time.Second
	defaultMaxBodyBytes   = 1 << 20
)

// DefaultConfig is what [Default] enforces, as it can appear in a config
// file. The zero value is the hardened default of every field.
type DefaultConfig struct {
	// HandlerTimeout bounds each handler as [Timeout] does. Zero: 30s,
	// the default backend timeout of Google Cloud's load balancers.
	// Negative: no handler timeout.
	HandlerTimeout time.Duration `json:"handler_timeout" yaml:"handler_timeout"`

	// MaxBodyBytes bounds request bodies as [limits.Body] does. Zero:
	// 1 MiB, nginx's client_max_body_size. Negative: unlimited.
	MaxBodyBytes int64 `json:"max_body_bytes" yaml:"max_body_bytes"`

	// Progress is the minimum pace of request bodies, as
	// [limits.Progress] enforces it; its zero value is the hardened
	// default.
	Progress limits.ProgressConfig `json:"progress" yaml:"progress"`

	// Concurrency is how many requests run at once, as
	// [limits.Concurrency] sheds the rest; its zero value is the
	// hardened default, an adaptive limit.
	Concurrency limits.ConcurrencyConfig `json:"concurrency" yaml:"concurrency"`
}

// Default returns harden's request path as one middleware:
//
//	RequestID -> Trace -> AccessLog -> Recover -> guards (WithGuard)
//	 -> Shed -> Timeout -> Body -> Progress -> your middleware -> handler
//
// The order is fixed by construction, because each position is a reason:
// RequestID first, so that every later answer and line carries the ID;
// Trace next, so that the access log and every problem answer carry the
// span's IDs; AccessLog outside everything that can answer early, so that
// a 413, 408, 431, 503 or 500 is logged with its request; Recover outside
// Timeout, which leaves a panic on the serving goroutine; Shed
// ([limits.Concurrency]) before Timeout, so that a request waiting for a
// slot does not spend its handler's time and a handler timeout's 503
// counts against the limit as a server-side failure; Timeout before the
// body guards, so that a body read is bounded by the handler's deadline.
// Application middleware goes between the result and the handler:
//
//	h := middleware.Default(cfg, middleware.WithLogger(logger))(middleware.Chain(auth, cors)(mux))
//
// opts configure [RequestID], [Trace], [AccessLog] and [Recover]
// ([WithLogger] is the logger of the last two and of [Logger]; without it
// nothing is logged) and the meter provider of Shed's metrics, and
// [WithGuard] adds checks after Recover. Default panics if
// cfg.Concurrency is invalid ([limits.ConcurrencyConfig.Validate]). The
// middleware is safe for concurrent use.
func Default(cfg DefaultConfig, opts ...Option) func(http.Handler) http.Handler {
	o := newOptions(opts)
	timeout := cfg.HandlerTimeout
	if timeout == 0 {
		timeout = defaultHandlerTimeout
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody == 0 {
		maxBody = defaultMaxBodyBytes
	}
	mw := []func(http.Handler) http.Handler{
		RequestID(opts...),
		Trace(opts...),
		AccessLog(opts...),
		Recover(opts...),
	}
	mw = append(mw, o.guards...)
	mw = append(mw,
		limits.Concurrency(cfg.Concurrency, limits.WithMeterProvider(o.mp)),
		Timeout(timeout),
		limits.Body(maxBody),
		limits.Progress(cfg.Progress),
		routeNoter,
	)
	return Chain(mw...)
}

// routeNoter records the route the mux sets on the request it receives:
// it hands the handler the request Progress passes on, so that a mux
// directly inside the chain is seen by Trace and AccessLog.
func routeNoter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		noteRoute(stateFrom(r.Context()), r)
	})
}
