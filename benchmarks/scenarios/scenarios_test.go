package scenarios

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testBounds are small so the suite runs in seconds; the scenarios' own
// margins (1s to 3s past each bound) keep the verdicts far from a race.
var testBounds = Bounds{
	ReadHeader:     300 * time.Millisecond,
	Idle:           time.Second,
	BodyWindow:     300 * time.Millisecond,
	Handler:        300 * time.Millisecond,
	Drain:          300 * time.Millisecond,
	Shutdown:       time.Second,
	MaxHeaderBytes: 8 << 10,
	MaxBodyBytes:   64 << 10,
	Scale:          0.1,
}

// check asserts what one target must show in one scenario.
type check func(t *testing.T, o Outcome)

// targetCases lists every target the scenarios are checked against, with
// what each scenario must measure for it. A target is added with one
// entry; every scenario must have a check.
var targetCases = []struct {
	target Target
	checks map[string]check
}{
	{
		// The zero value defends against none of the attacks.
		target: ZeroValue(),
		checks: map[string]check{
			"slow-headers": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if o.TimeToClose != 0 || !strings.Contains(o.Summary, "open at give-up") {
					t.Errorf("server closed a slow-header connection: %+v", o)
				}
				if o.Sent == 0 || o.Lost != 0 {
					t.Errorf("legitimate client: sent %d, lost %d; want some sent, none lost", o.Sent, o.Lost)
				}
			},
			"idle-hoarding": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if n := idleFloodSize(testBounds); o.PeakConns < n {
					t.Errorf("peak open connections = %d, want at least the %d idle ones", o.PeakConns, n)
				}
				if o.TimeToClose != 0 {
					t.Errorf("server closed an idle connection: %+v", o)
				}
			},
			"slow-body": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if o.Status != 0 || o.TimeToClose != 0 {
					t.Errorf("server reacted to a slow body: %+v", o)
				}
			},
			"oversized-body-cl": func(t *testing.T, o Outcome) {
				exposed(t, o)
				readWholeBody(t, o)
			},
			"oversized-body-chunked": func(t *testing.T, o Outcome) {
				exposed(t, o)
				readWholeBody(t, o)
			},
			"header-bomb": func(t *testing.T, o Outcome) {
				exposed(t, o)
				wantStatus(t, o, http.StatusOK)
			},
			"handler-overrun": func(t *testing.T, o Outcome) {
				exposed(t, o)
				wantStatus(t, o, 0)
				if o.PeakHandlers != 1 {
					t.Errorf("peak handlers = %d, want the 1 overrunning handler", o.PeakHandlers)
				}
			},
			"shutdown-loss": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if o.Lost == 0 || o.Sent <= o.Lost {
					t.Errorf("sent %d, lost %d; want requests answered before shutdown and lost after", o.Sent, o.Lost)
				}
			},
		},
	},
	{
		// A net/http server with every defence configured by hand shows
		// that each scenario recognises a defence when there is one.
		target: tunedTarget(testBounds),
		checks: map[string]check{
			"slow-headers": func(t *testing.T, o Outcome) {
				defended(t, o)
				if !strings.HasPrefix(o.Summary, "all ") || o.TimeToClose == 0 {
					t.Errorf("summary %q, time to close %v; want every connection closed", o.Summary, o.TimeToClose)
				}
			},
			"idle-hoarding": func(t *testing.T, o Outcome) {
				defended(t, o)
				if o.Lost != 0 {
					t.Errorf("legitimate client lost %d of %d", o.Lost, o.Sent)
				}
			},
			"slow-body": func(t *testing.T, o Outcome) {
				defended(t, o)
				if o.ServerBytesRead >= 1<<20 {
					t.Errorf("server read %d bytes of a trickled body", o.ServerBytesRead)
				}
			},
			"oversized-body-cl": func(t *testing.T, o Outcome) {
				defended(t, o)
				wantStatus(t, o, http.StatusRequestEntityTooLarge)
				if limit := testBounds.MaxBodyBytes + oversizeSlack; o.ServerBytesRead > limit {
					t.Errorf("server read %d bytes before answering, want at most %d", o.ServerBytesRead, limit)
				}
			},
			"oversized-body-chunked": func(t *testing.T, o Outcome) {
				defended(t, o)
				wantStatus(t, o, http.StatusRequestEntityTooLarge)
			},
			"header-bomb": func(t *testing.T, o Outcome) {
				defended(t, o)
				wantStatus(t, o, http.StatusRequestHeaderFieldsTooLarge)
			},
			"handler-overrun": func(t *testing.T, o Outcome) {
				defended(t, o)
				wantStatus(t, o, http.StatusServiceUnavailable)
			},
			"shutdown-loss": func(t *testing.T, o Outcome) {
				defended(t, o)
				if o.Sent == 0 || o.Lost != 0 || o.TimeToClose == 0 {
					t.Errorf("sent %d, lost %d, shutdown took %v; want none lost and a finished shutdown", o.Sent, o.Lost, o.TimeToClose)
				}
			},
		},
	},
}

func TestScenarios(t *testing.T) {
	targets := make([]Target, len(targetCases))
	for i, tc := range targetCases {
		targets[i] = tc.target
	}
	all := All()

	// Every scenario runs at the same time, each against every target at
	// once, so the suite takes as long as the slowest scenario.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outcomes := make([][]Outcome, len(all))
	var wg sync.WaitGroup
	for i, s := range all {
		wg.Go(func() { outcomes[i] = s.Against(ctx, testBounds, targets...) })
	}
	wg.Wait()

	for i, s := range all {
		for j, tc := range targetCases {
			t.Run(tc.target.Name+"/"+s.Name, func(t *testing.T) {
				check, ok := tc.checks[s.Name]
				if !ok {
					t.Fatalf("no check for scenario %q", s.Name)
				}
				o := outcomes[i][j]
				t.Logf("%s", o.Summary)
				if o.Err != "" {
					t.Fatalf("scenario could not run: %s", o.Err)
				}
				check(t, o)
			})
		}
	}
}

func TestAllDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range All() {
		if seen[s.Name] {
			t.Errorf("scenario %q listed twice", s.Name)
		}
		seen[s.Name] = true
		if s.Description == "" || s.Expect == "" || s.Run == nil {
			t.Errorf("scenario %q lacks a description, an expectation or a Run", s.Name)
		}
		if got, ok := Find(s.Name); !ok || got.Name != s.Name {
			t.Errorf("Find(%q) = %q, %v", s.Name, got.Name, ok)
		}
	}
	if _, ok := Find("no-such-scenario"); ok {
		t.Error("Find found a scenario that does not exist")
	}
}

func TestStartFailureIsReported(t *testing.T) {
	broken := Target{
		Name: "broken",
		Serve: func(net.Listener, http.Handler) (func(context.Context) error, error) {
			return nil, errTest
		},
	}
	s, _ := Find("header-bomb")
	o := s.Run(context.Background(), broken, testBounds)
	if o.Defended || !strings.Contains(o.Err, errTest.Error()) {
		t.Errorf("outcome = %+v, want not defended with the start error", o)
	}
}

var errTest = errors.New("the target refused to start")

func defended(t *testing.T, o Outcome) {
	t.Helper()
	if !o.Defended {
		t.Errorf("not defended: %s", o.Summary)
	}
}

func exposed(t *testing.T, o Outcome) {
	t.Helper()
	if o.Defended {
		t.Errorf("defended, want exposed: %s", o.Summary)
	}
}

func wantStatus(t *testing.T, o Outcome, status int) {
	t.Helper()
	if o.Status != status {
		t.Errorf("status = %d, want %d (%s)", o.Status, status, o.Summary)
	}
}

// readWholeBody asserts the server read the whole oversized body and
// accepted it.
func readWholeBody(t *testing.T, o Outcome) {
	t.Helper()
	wantStatus(t, o, http.StatusOK)
	if want := oversizeFactor * testBounds.MaxBodyBytes; o.ServerBytesRead < want {
		t.Errorf("server read %d bytes, want the whole %d-byte body", o.ServerBytesRead, want)
	}
}

// tunedTarget is net/http with each defence set by hand: header and body
// limits, a read deadline on bodies, a handler timeout that answers
// problem+json, and a drain before shutdown that covers the load
// balancer's propagation delay.
func tunedTarget(b Bounds) Target {
	return Target{
		Name: "net/http tuned by hand",
		Serve: func(l net.Listener, h http.Handler) (func(context.Context) error, error) {
			srv := &http.Server{
				Handler:           guard(h, b),
				ReadHeaderTimeout: b.ReadHeader,
				WriteTimeout:      b.Handler + time.Second,
				IdleTimeout:       b.Idle,
				MaxHeaderBytes:    int(b.MaxHeaderBytes),
			}
			go func() { _ = srv.Serve(l) }()
			shutdown := func(ctx context.Context) error {
				sleep(ctx, LBPropagation+500*time.Millisecond)
				return srv.Shutdown(ctx)
			}
			return shutdown, nil
		},
	}
}

// guard refuses oversized bodies (413 from Content-Length, MaxBytesReader
// for chunked ones), bounds the time to read a body, and answers a
// handler that overruns b.Handler with 503 problem+json.
func guard(h http.Handler, b Bounds) http.Handler {
	timed := http.TimeoutHandler(h, b.Handler, `{"title":"Service Unavailable","status":503}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > b.MaxBodyBytes {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if r.ContentLength != 0 {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(b.BodyWindow))
			r.Body = http.MaxBytesReader(w, r.Body, b.MaxBodyBytes)
		}
		timed.ServeHTTP(problemOn503{w}, r)
	})
}

// problemOn503 labels a 503 without a content type (http.TimeoutHandler's
// answer) as problem+json.
type problemOn503 struct{ http.ResponseWriter }

func (w problemOn503) WriteHeader(code int) {
	if code == http.StatusServiceUnavailable && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", problemJSON)
	}
	w.ResponseWriter.WriteHeader(code)
}
