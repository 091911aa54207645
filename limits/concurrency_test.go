package limits

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/problem"
	"github.com/harden-go/harden/internal/reqid"
)

// gate is a handler that holds each request until it is opened, and
// records the order in which requests entered it.
type gate struct {
	open    chan struct{}
	mu      sync.Mutex
	entered []string
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.entered = append(g.entered, r.URL.Query().Get("id"))
	g.mu.Unlock()
	<-g.open
}

func (g *gate) order() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.entered...)
}

// call serves one request with id through h in the background and returns
// the recorder once it is done.
func call(h http.Handler, target, id string) <-chan *httptest.ResponseRecorder {
	done := make(chan *httptest.ResponseRecorder, 1)
	r := httptest.NewRequest(http.MethodGet, target+"?id="+id, nil)
	r = r.WithContext(reqid.With(r.Context(), "req-"+id))
	go func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		done <- w
	}()
	return done
}

func checkShed(t *testing.T, w *httptest.ResponseRecorder, id string) {
	t.Helper()
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("request %s: status %d Retry-After %q, want 503 and 1", id, w.Code, w.Header().Get("Retry-After"))
	}
	var p problem.Details
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code != CodeOverloaded || p.RequestID != "req-"+id {
		t.Fatalf("request %s: problem %+v (%v), want code %s with its request ID", id, p, err, CodeOverloaded)
	}
}

func TestStaticLimitShedsBeyondMaxAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		h := Concurrency(ConcurrencyConfig{Mode: ModeStatic, Max: 2, Backlog: -1})(g)
		a, b := call(h, "/", "a"), call(h, "/", "b")
		synctest.Wait()
		c := call(h, "/", "c")
		synctest.Wait()
		select {
		case w := <-c:
			checkShed(t, w, "c")
		default:
			t.Fatal("the third request waits although there is no backlog")
		}
		close(g.open)
		for _, done := range []<-chan *httptest.ResponseRecorder{a, b} {
			if w := <-done; w.Code != http.StatusOK {
				t.Fatalf("admitted request answered %d", w.Code)
			}
		}
	})
}

// The backlog serves the newest waiter first, displaces its oldest when
// full, and sheds a waiter after the backlog timeout.
func TestBacklogIsLIFOAndBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		h := Concurrency(ConcurrencyConfig{Mode: ModeStatic, Max: 1, Backlog: 2, BacklogTimeout: harden.Second})(g)
		first := call(h, "/", "first")
		synctest.Wait()
		oldest := call(h, "/", "oldest")
		synctest.Wait()
		older := call(h, "/", "older")
		synctest.Wait()
		newest := call(h, "/", "newest") // the backlog holds two: oldest is displaced
		synctest.Wait()
		checkShed(t, <-oldest, "oldest")

		g.open <- struct{}{} // first ends; newest is served before older
		<-first
		synctest.Wait()
		if got := g.order(); len(got) != 2 || got[1] != "newest" {
			t.Fatalf("served %v, want newest second", got)
		}
		// older keeps waiting behind newest until the backlog timeout.
		time.Sleep(time.Second)
		checkShed(t, <-older, "older")
		close(g.open)
		if w := <-newest; w.Code != http.StatusOK {
			t.Fatalf("newest answered %d", w.Code)
		}
	})
}

func TestExemptRoutesAreNeverShed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		h := Concurrency(ConcurrencyConfig{Mode: ModeStatic, Max: 1, Backlog: -1, Exempt: []string{"GET /healthz", "/admin/"}})(g)
		held := call(h, "/work", "held")
		synctest.Wait()
		exempt := []<-chan *httptest.ResponseRecorder{call(h, "/healthz", "health"), call(h, "/admin/x", "admin")}
		shed := call(h, "/work", "shed")
		synctest.Wait()
		checkShed(t, <-shed, "shed")
		close(g.open)
		for _, done := range append(exempt, held) {
			if w := <-done; w.Code != http.StatusOK {
				t.Fatalf("answered %d, want 200", w.Code)
			}
		}
	})
}

func TestClassifyCountsOnlyServerFailures(t *testing.T) {
	deadline, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel()
	gone, leave := context.WithCancel(context.Background())
	leave()
	tests := []struct {
		name   string
		ctx    context.Context
		status int
		want   outcome
	}{
		{"ok", context.Background(), 200, success},
		{"client error", context.Background(), 404, success},
		{"too large", context.Background(), 413, success},
		{"handler 5xx", context.Background(), 500, dropped},
		{"handler timeout", deadline, 503, dropped},
		{"deadline, nothing written", deadline, 0, dropped},
		{"client went away", gone, 0, ignored},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.ctx, tc.status); got != tc.want {
				t.Fatalf("classify = %v, want %v", got, tc.want)
			}
		})
	}
}

// Against a backend of fixed capacity whose latency rises with what is in
// flight, the adaptive limit, starting at its ceiling, sheds nothing under
// normal traffic and settles near the capacity under three times the load
// it can take; the test runs on synctest's clock.
func TestAdaptiveLimitFindsCapacityUnderOverload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const capacity = 40
		base := 100 * time.Millisecond
		var mu sync.Mutex
		inflight := 0
		backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inflight++
			n := inflight
			mu.Unlock()
			time.Sleep(time.Duration(float64(base) * max(1, float64(n)/capacity)))
			mu.Lock()
			inflight--
			mu.Unlock()
		})
		l := newLimiter(ConcurrencyConfig{Max: 200}.settings(), nil, newOptions(nil))
		h := l.handler(backend)

		// load runs clients in a closed loop for d and reports how many
		// of their requests were shed.
		load := func(clients int, d time.Duration) int {
			stop := time.Now().Add(d)
			var wg sync.WaitGroup
			var shedMu sync.Mutex
			shed := 0
			for range clients {
				wg.Go(func() {
					for time.Now().Before(stop) {
						w := httptest.NewRecorder()
						h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
						if w.Code != http.StatusOK {
							shedMu.Lock()
							shed++
							shedMu.Unlock()
							time.Sleep(base) // a shed client backs off
						}
					}
				})
			}
			wg.Wait()
			return shed
		}
		if shed := load(capacity/2, 2*time.Second); shed != 0 {
			t.Fatalf("%d requests shed under half the capacity", shed)
		}
		load(3*capacity, 8*time.Second) // 80 windows
		if limit, _, _ := l.state(); limit < capacity || limit > 2*capacity {
			t.Fatalf("limit after 80 windows of overload = %d, want within [%d, %d]", limit, capacity, 2*capacity)
		}
	})
}

// Requests that hold their slots and never complete (a stuck dependency,
// or handlers held by one client) cannot keep the adaptive limit below
// them: when latency rises while they are held, the limit falls under
// them and no request completes to close a window, yet within a few
// windows the limit rises past them and other requests are served again.
func TestAdaptiveLimitRecoversAboveHeldRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const held = 100
		hold := make(chan struct{})
		var mu sync.Mutex
		latency := 2 * time.Millisecond
		backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				<-hold
				return
			}
			mu.Lock()
			d := latency
			mu.Unlock()
			time.Sleep(d)
		})
		l := newLimiter(ConcurrencyConfig{Max: 200}.settings(), nil, newOptions(nil))
		h := l.handler(backend)
		var holders []<-chan *httptest.ResponseRecorder
		for i := range held {
			holders = append(holders, call(h, "/hold", fmt.Sprint(i)))
		}
		defer func() {
			close(hold)
			for _, c := range holders {
				<-c
			}
		}()
		synctest.Wait()

		// load runs 10 clients in a closed loop for d and counts the
		// requests served.
		load := func(d time.Duration) (served int) {
			stop := time.Now().Add(d)
			var wg sync.WaitGroup
			var smu sync.Mutex
			for range 10 {
				wg.Go(func() {
					for time.Now().Before(stop) {
						w := httptest.NewRecorder()
						h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
						if w.Code == http.StatusOK {
							smu.Lock()
							served++
							smu.Unlock()
						} else {
							time.Sleep(10 * time.Millisecond)
						}
					}
				})
			}
			wg.Wait()
			return served
		}
		load(2 * time.Second) // the long-term latency learns 2ms
		mu.Lock()
		latency = 20 * time.Millisecond
		mu.Unlock()
		load(time.Second)
		if limit, _, _ := l.state(); limit >= held {
			t.Fatalf("limit %d after latency rose tenfold with %d held: the test no longer pushes it below them", limit, held)
		}
		mu.Lock()
		latency = 2 * time.Millisecond
		mu.Unlock()
		load(3 * time.Second)
		if served := load(time.Second); served == 0 {
			limit, inflight, queued := l.state()
			t.Fatalf("nothing served 3s after latency recovered; limit %d, in flight %d, queued %d", limit, inflight, queued)
		}
	})
}

// Time in which nothing was in flight is no stall: a limit reached after
// a long quiet spell keeps its value and sheds beyond it.
func TestAdaptiveLimitKeptAfterQuietSpell(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		l := newLimiter(ConcurrencyConfig{Max: 100, Initial: 10, Min: 5, Backlog: -1}.settings(), nil, newOptions(nil))
		h := l.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/quick" {
				g.ServeHTTP(w, r)
			}
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/quick", nil))
		time.Sleep(time.Hour)
		var held []<-chan *httptest.ResponseRecorder
		for i := range 10 {
			held = append(held, call(h, "/", fmt.Sprint(i)))
		}
		defer func() {
			close(g.open)
			for _, c := range held {
				<-c
			}
		}()
		synctest.Wait()
		if w := <-call(h, "/quick", "beyond"); w.Code != http.StatusServiceUnavailable {
			limit, inflight, _ := l.state()
			t.Fatalf("request beyond the limit after an hour of quiet: status %d, want 503; limit %d, in flight %d", w.Code, limit, inflight)
		}
	})
}

func TestConcurrencyMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		g := newGate()
		h := Concurrency(ConcurrencyConfig{Mode: ModeStatic, Max: 1, Backlog: 1, BacklogTimeout: harden.Second}, WithMeterProvider(mp))(g)
		held := call(h, "/", "held")
		synctest.Wait()
		waiting := call(h, "/", "waiting")
		synctest.Wait()
		shed := call(h, "/", "shed") // displaces waiting
		synctest.Wait()
		<-waiting
		got := collect(t, reader)
		want := map[string]int64{
			"harden.server.concurrency.limit":     1,
			"harden.server.concurrency.in_flight": 1,
			"harden.server.concurrency.queued":    1,
			"harden.server.concurrency.shed":      1,
		}
		for name, v := range want {
			if got[name] != v {
				t.Errorf("%s = %d, want %d (all: %v)", name, got[name], v, got)
			}
		}
		close(g.open)
		<-held
		<-shed
	})
}

// collect returns the last value of every int64 gauge and the sum of every
// int64 counter.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = p.Value
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] += p.Value
				}
			}
		}
	}
	return out
}

// statusStub is a next handler that reports a status it did not write
// through the writer it was given, as the handler timeout does for the
// 503 it writes from its timer.
type statusStub struct {
	status int
	w      http.ResponseWriter
	now    time.Time
}

func (s *statusStub) ServeHTTP(http.ResponseWriter, *http.Request) {
	panic("ServeHTTP called; the limiter should ask for the status")
}

func (s *statusStub) ServeStatus(w http.ResponseWriter, _ *http.Request, now time.Time) int {
	s.w, s.now = w, now
	return s.status
}

// TestConcurrencyTakesStatusFromNext checks that in front of a handler
// that reports its answer's status, the adaptive limit counts that status
// and hands the handler the writer unwrapped.
func TestConcurrencyTakesStatusFromNext(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		dropped bool
	}{
		{"ok", http.StatusOK, false},
		{"timeout's answer", http.StatusServiceUnavailable, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := &statusStub{status: tc.status}
			l := newLimiter(ConcurrencyConfig{}.settings(), nil, newOptions(nil))
			w := httptest.NewRecorder()
			l.handler(next).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if next.w != w || next.now.IsZero() {
				t.Errorf("next got writer %T and time %v, want the recorder itself and the admission time", next.w, next.now)
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.samples != 1 || l.drops != tc.dropped || l.inflight != 0 {
				t.Errorf("samples %d, drops %v, in flight %d; want 1, %v, 0", l.samples, l.drops, l.inflight, tc.dropped)
			}
		})
	}
}
