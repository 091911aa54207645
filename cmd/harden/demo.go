package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Bounds of the demo routes' parameters, so that no request can make the
// server hold a goroutine or a connection for long, even with the handler
// timeout disabled.
const (
	maxSlow         = time.Minute
	defaultSlow     = time.Second
	maxStreamLines  = 100
	defaultLines    = 30
	streamLineEvery = 100 * time.Millisecond
)

// demoRoutes is the handler of harden serve: a few routes that show each
// of harden's defences from curl.
func demoRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "routes: GET /hello, POST /upload, GET /slow?d=2s, GET /stream?n=30\n")
	})
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from harden over %s\n", r.Proto)
	})
	mux.HandleFunc("POST /upload", upload)
	mux.HandleFunc("GET /slow", slow)
	mux.HandleFunc("GET /stream", stream)
	return mux
}

// upload reads the whole body and reports how many bytes it read. A body
// above the server's limit fails the read, and the server answers 413.
func upload(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) { // a too large body is answered 413 by the server
			http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		}
		return
	}
	fmt.Fprintf(w, "read %d bytes\n", n)
}

// slow waits ?d= (a Go duration) or until the request's context ends: at
// the handler timeout the server answers 503 for it.
func slow(w http.ResponseWriter, r *http.Request) {
	d := defaultSlow
	if q := r.URL.Query().Get("d"); q != "" {
		var err error
		if d, err = time.ParseDuration(q); err != nil || d < 0 || d > maxSlow {
			http.Error(w, fmt.Sprintf("d must be a duration from 0s to %s, such as 2s", maxSlow), http.StatusBadRequest)
			return
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		fmt.Fprintf(w, "slept %s\n", d)
	case <-r.Context().Done():
	}
}

// stream writes ?n= lines, one per 100ms, flushing each, until the request
// ends.
func stream(w http.ResponseWriter, r *http.Request) {
	n := defaultLines
	if q := r.URL.Query().Get("n"); q != "" {
		var err error
		if n, err = strconv.Atoi(q); err != nil || n < 1 || n > maxStreamLines {
			http.Error(w, fmt.Sprintf("n must be a number of lines from 1 to %d", maxStreamLines), http.StatusBadRequest)
			return
		}
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	tick := time.NewTicker(streamLineEvery)
	defer tick.Stop()
	for i := 1; ; i++ {
		fmt.Fprintf(w, "line %d of %d\n", i, n)
		if err := rc.Flush(); err != nil || i == n {
			return
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		}
	}
}
