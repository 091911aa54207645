package scenarios

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// targetHandler is the application every target serves. Its routes stand
// for the handlers a real service has:
//
//	/        a small 200 answer, for ordinary traffic
//	/upload  reads the whole request body and answers how many bytes it
//	         read, 413 when a body limit stopped the read, 400 on any
//	         other read error, as a careful application does
//	/slow    ignores its context and sleeps longer than the handler
//	         timeout, like code stuck in a call that takes no context,
//	         then tries to write
//
// It counts the handlers in flight and their peak. It is safe for
// concurrent use.
type targetHandler struct {
	mux     *http.ServeMux
	slowFor time.Duration
	release chan struct{} // closed when the scenario ends: /slow stops sleeping

	mu       sync.Mutex
	inflight int
	peak     int
}

func newTargetHandler(slowFor time.Duration) *targetHandler {
	h := &targetHandler{slowFor: slowFor, release: make(chan struct{})}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	h.mux.HandleFunc("/upload", h.upload)
	h.mux.HandleFunc("/slow", h.slow)
	return h
}

func (h *targetHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.inflight++
	h.peak = max(h.peak, h.inflight)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inflight--
		h.mu.Unlock()
	}()
	h.mux.ServeHTTP(w, r)
}

func (h *targetHandler) upload(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
	default:
		_, _ = fmt.Fprintf(w, "read %d bytes\n", n)
	}
}

func (h *targetHandler) slow(w http.ResponseWriter, _ *http.Request) {
	t := time.NewTimer(h.slowFor)
	defer t.Stop()
	select {
	case <-t.C:
	case <-h.release:
	}
	_, _ = io.WriteString(w, "finished\n")
}

// Peak returns the most handlers that ran at once.
func (h *targetHandler) Peak() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

// Inflight returns how many handlers are running.
func (h *targetHandler) Inflight() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inflight
}

// releaseAll wakes every sleeping /slow handler, and those still to come.
// It is called once, when the scenario ends.
func (h *targetHandler) releaseAll() { close(h.release) }

// wait waits up to grace for every handler to return.
func (h *targetHandler) wait(grace time.Duration) {
	deadline := time.Now().Add(grace)
	for h.Inflight() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
