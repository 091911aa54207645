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
//	/work    holds one of workCapacity slots (a database pool, the
//	         CPUs) for workFor, waiting in line for one while they are
//	         all taken, unless its client goes away: a service with a
//	         fixed capacity whose latency grows with the queue
//	/big     answers bigResponse bytes, for slow readers
//
// It counts the handlers in flight and their peak. It is safe for
// concurrent use.
type targetHandler struct {
	mux     *http.ServeMux
	slowFor time.Duration
	slots   chan struct{} // the capacity of /work
	release chan struct{} // closed when the scenario ends: /slow stops sleeping

	mu       sync.Mutex
	inflight int
	peak     int
}

func newTargetHandler(slowFor time.Duration) *targetHandler {
	h := &targetHandler{slowFor: slowFor, release: make(chan struct{}), slots: make(chan struct{}, workCapacity)}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	h.mux.HandleFunc("/upload", h.upload)
	h.mux.HandleFunc("/slow", h.slow)
	h.mux.HandleFunc("/work", h.work)
	h.mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(bigBody)))
		_, _ = w.Write(bigBody)
	})
	return h
}

// The capacity of /work: workCapacity requests at a time, each for
// workFor, so 120 requests a second. It is above the floor of harden's
// adaptive concurrency limit (20), which it would otherwise never reach,
// and slow enough that loading it costs little CPU.
const (
	workCapacity = 24
	workFor      = 200 * time.Millisecond
)

// bigResponse is the size of /big's answer, the 8MiB of slowhttptest's
// slow-read examples; bigBody is shared by every answer.
const bigResponse = 8 << 20

var bigBody = make([]byte, bigResponse)

func (h *targetHandler) work(w http.ResponseWriter, r *http.Request) {
	select {
	case h.slots <- struct{}{}:
	case <-r.Context().Done():
		return
	case <-h.release:
		return
	}
	defer func() { <-h.slots }()
	t := time.NewTimer(workFor)
	defer t.Stop()
	select {
	case <-t.C:
	case <-h.release:
	}
	_, _ = io.WriteString(w, "done\n")
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
