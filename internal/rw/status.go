package rw

import (
	"net/http"
	"time"
)

// StatusHandler is a handler that can serve a request and report the
// status of its answer. A layer that needs only that status and the time
// the request began (limits.Concurrency, which counts a 5xx as a
// server-side failure and times the request) calls ServeStatus on the
// next handler when it has one, instead of wrapping the ResponseWriter
// and reading the clock a second time; the handler timeout offers it,
// since its writer sees every status anyway.
type StatusHandler interface {
	http.Handler

	// ServeStatus serves r as ServeHTTP does. now is the time the caller
	// read as the request reached it, which the handler uses instead of
	// reading the clock again. It returns the final status written for
	// r, by the handler or on its behalf (1xx aside), or 0 when none was
	// or the connection was hijacked.
	ServeStatus(w http.ResponseWriter, r *http.Request, now time.Time) int
}
