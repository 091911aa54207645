package middleware

import (
	"net/http"

	"github.com/harden-go/harden"

	"github.com/harden-go/harden/internal/defaults"
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

// DefaultHandlerTimeout is the handler timeout of [Default] when
// [DefaultConfig.HandlerTimeout] is zero, and of httpx's server: 30s, the
// default backend timeout of Google Cloud's load balancers.
const DefaultHandlerTimeout = 30 * harden.Second

// DefaultConfig is what [Default] enforces, as it can appear in a config
// file. The zero value is the hardened default of every field.
type DefaultConfig struct {
	// HandlerTimeout bounds each handler as [Timeout] does. Zero:
	// [DefaultHandlerTimeout]. Negative: no handler timeout.
	HandlerTimeout harden.Duration `json:"handler_timeout" yaml:"handler_timeout"`

	// MaxBodyBytes bounds request bodies as [limits.Body] does. Zero:
	// [limits.DefaultMaxBodyBytes]. Negative: unlimited.
	MaxBodyBytes harden.Bytes `json:"max_body_bytes" yaml:"max_body_bytes"`

	// Progress is the minimum pace of request bodies, as
	// [limits.Progress] enforces it; its zero value is the hardened
	// default.
	Progress limits.ProgressConfig `json:"progress" yaml:"progress"`

	// Concurrency is how many requests run at once, as
	// [limits.Concurrency] sheds the rest; its zero value is the
	// hardened default, an adaptive limit.
	Concurrency limits.ConcurrencyConfig `json:"concurrency" yaml:"concurrency"`
}

// WithDefaults returns c with each zero field set to its default.
func (c DefaultConfig) WithDefaults() DefaultConfig {
	defaults.Set(&c.HandlerTimeout, DefaultHandlerTimeout)
	defaults.Set(&c.MaxBodyBytes, limits.DefaultMaxBodyBytes)
	c.Progress = c.Progress.WithDefaults()
	c.Concurrency = c.Concurrency.WithDefaults()
	return c
}

// Default returns harden's server request path as one middleware, in
// this order, outermost first:
//
//	RequestID -> Trace -> AccessLog -> Recover -> guards (WithGuard)
//	 -> Concurrency -> Timeout -> Body -> Progress -> your middleware -> handler
//
// This is the one place the order is written; "The request path" in the
// package documentation says why each layer sits where it does. (In
// front of them all, an HTTP/2 request's goroutine stack is grown while
// it is shallow, which is cheaper than growing it deep in the chain.) Put
// application middleware between the result and the handler:
//
//	h := middleware.Default(cfg, middleware.WithLogger(logger))(middleware.Chain(auth, cors)(mux))
//
// Each option goes to the layers it configures ("Options" in the package
// documentation); without [WithLogger] nothing is logged. Middleware of yours that hands
// the mux a copy of the request must hand back the copy's Pattern and
// MultipartForm after the call, or the route is missing from spans and
// log lines and a parsed form's temporary files are left behind
// ("Request copies" in the package documentation). Concurrency is
// [limits.Concurrency] with cfg.Concurrency, whose metrics go to the meter
// provider of [WithMeterProvider]; Default panics if cfg.Concurrency is
// invalid ([limits.ConcurrencyConfig.Validate]). The middleware is safe for
// concurrent use.
func Default(cfg DefaultConfig, opts ...DefaultOption) func(http.Handler) http.Handler {
	o := newOptions(opts)
	cfg = cfg.WithDefaults()
	mw := []func(http.Handler) http.Handler{
		presizeStack,
		RequestID(only[RequestIDOption](opts)...),
		Trace(only[TraceOption](opts)...),
		AccessLog(only[AccessLogOption](opts)...),
		Recover(only[LogOption](opts)...),
	}
	mw = append(mw, o.guards...)
	mw = append(mw,
		limits.Concurrency(cfg.Concurrency, limits.WithMeterProvider(o.mp)),
		Timeout(cfg.HandlerTimeout.Std()),
		limits.Body(cfg.MaxBodyBytes),
		limits.Progress(cfg.Progress),
	)
	return Chain(mw...)
}
