// Package middleware holds the server-side middleware that keeps a
// request's answer useful: every layer is a plain
// func(http.Handler) http.Handler, so it composes with the standard
// library, chi, gorilla and otelhttp alike.
//
// # What it defends against
//
// A handler that runs past its budget leaves the client waiting until
// the server's write deadline cuts the connection, and the client sees an
// EOF it cannot tell from a crash. [Timeout] bounds the handler with a
// context deadline and, when the handler has written nothing, answers 503
// application/problem+json (RFC 9457, code [CodeHandlerTimeout], with the
// request ID) at the deadline. It does not buffer the response, so
// streaming, [http.Flusher] and [http.ResponseController] keep working,
// and it runs the handler in the serving goroutine, so panics stay where
// recovery middleware sees them.
//
// # Place in the request path
//
// This package is where the server's request-path middleware lives:
// request IDs, trace propagation, access logs, panic recovery and the
// handler timeout. The design orders them as
//
//	RequestID -> Trace -> AccessLog -> Recover -> Timeout -> Shed -> Body -> handler
//
// RequestID comes first so that every later answer and log line carries
// the ID; the access log wraps every layer that can answer early, so a
// timeout 503 is logged with its request; Recover sits outside Timeout so
// that a handler's panic, which Timeout leaves on the serving goroutine,
// is caught; Shed and Body (package limits) refuse work before the
// handler starts. Applications add their own middleware between Body and
// the handler.
//
// Of these, the package provides [Timeout] today; package httpx installs
// it with the handler timeout of its server configuration and derives the
// server's write deadline from it (rule write-after-handler).
//
// # Answers on the wire
//
// Everything this package answers on its own behalf is
// application/problem+json (RFC 9457) with an explicit Content-Length, a
// stable code member naming the guard (such as [CodeHandlerTimeout]), and
// the request ID carried by the request's context, so a client can tell
// the server's refusal from the application's answer and quote the ID.
package middleware
