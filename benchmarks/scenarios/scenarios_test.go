package scenarios

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
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
	ReadHeader: 300 * time.Millisecond,
	// Idle is longer than any attack lasts, so tunedTarget's idle
	// timer never ends an HTTP/2 attack before it is judged; its health
	// PINGs (after ReadHeader of silence) end stalled connections.
	Idle:           5 * time.Second,
	BodyWindow:     300 * time.Millisecond,
	Handler:        300 * time.Millisecond,
	Drain:          300 * time.Millisecond,
	Shutdown:       time.Second,
	MaxHeaderBytes: 8 << 10,
	MaxBodyBytes:   64 << 10,
	// MaxConcurrentStreams is what tunedTarget advertises; the zero
	// value advertises net/http's default of 250.
	MaxConcurrentStreams: 100,
	PingAfter:            300 * time.Millisecond,
	PingTimeout:          time.Second,
	WriteByteTimeout:     300 * time.Millisecond,
	Scale:                0.1,
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
			Unattacked:   servedAlone,
			H2Unattacked: servedAlone,
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
			// net/http's Rapid Reset mitigation holds the handlers a
			// connection runs to the streams it advertises (250) and
			// ends, with ENHANCE_YOUR_CALM, a connection whose queue
			// of unstarted handlers grows past four times that (when
			// the server gets that far before the flood ends);
			// MadeYouReset meets the same count.
			"h2-rapid-reset":    handlersHeld,
			"h2-made-you-reset": handlersHeld,
			// The CONTINUATION fix ends the connection once the block
			// passes the default header limit of 1MB, far past ours.
			"h2-continuation-flood": func(t *testing.T, o Outcome) {
				exposed(t, o)
				wantGoAway(t, o, "PROTOCOL_ERROR")
				if limit := testBounds.MaxHeaderBytes + oversizeSlack; o.ServerBytesRead <= limit {
					t.Errorf("server read %d bytes, want more than %d", o.ServerBytesRead, limit)
				}
			},
			"h2-ping-flood": pingFloodRan,
			"h2-settings-flood": func(t *testing.T, o Outcome) {
				settingsFloodServed(t, o)
				wantGoAway(t, o, "")
			},
			"h2-stalled-headers": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if o.TimeToClose != 0 || !strings.Contains(o.Summary, "open at give-up") {
					t.Errorf("server ended a stalled header block: %s", o.Summary)
				}
			},
			"h2-stalled-body": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if o.Status != 0 || o.TimeToClose != 0 {
					t.Errorf("server reacted to a stalled body: %s", o.Summary)
				}
			},
			"h2-stream-exhaustion": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if limit := int(testBounds.MaxConcurrentStreams); o.PeakHandlers <= limit+legitSlack {
					t.Errorf("peak handlers = %d, want net/http's 250, past the bound of %d", o.PeakHandlers, limit)
				}
			},
			// Nothing is shed: every request waits in the application's
			// queue, and those sent late time out.
			"overload": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if o.Shed != 0 || o.Sent == 0 || o.UnloadedP99 == 0 {
					t.Errorf("sent %d, shed %d, unloaded p99 %v; want requests sent, none shed, a latency measured", o.Sent, o.Shed, o.UnloadedP99)
				}
			},
			// No write deadline: every reader holds its connection.
			"slow-read": func(t *testing.T, o Outcome) {
				exposed(t, o)
				if !strings.Contains(o.Summary, "still held at give-up") || o.PeakConns != testBounds.scaled(slowReaders) {
					t.Errorf("summary %q, peak connections %d; want all %d readers held", o.Summary, o.PeakConns, testBounds.scaled(slowReaders))
				}
			},
		},
	},
	{
		// A net/http server with every defence configured by hand shows
		// that each scenario recognises a defence when there is one.
		target: tunedTarget(testBounds),
		checks: map[string]check{
			Unattacked:   servedAlone,
			H2Unattacked: servedAlone,
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
			"h2-rapid-reset":    handlersEscapeOrCalm,
			"h2-made-you-reset": handlersEscapeOrCalm,
			"h2-continuation-flood": func(t *testing.T, o Outcome) {
				defended(t, o)
				wantGoAway(t, o, "PROTOCOL_ERROR")
			},
			"h2-ping-flood": pingFloodRan,
			// The flood may outlast the idle timeout (no stream is
			// open), which ends the connection gracefully.
			"h2-settings-flood": func(t *testing.T, o Outcome) {
				settingsFloodServed(t, o)
				if o.GoAway != "" && o.GoAway != "NO_ERROR" {
					t.Errorf("GOAWAY %s, want none or NO_ERROR", o.GoAway)
				}
			},
			"h2-stalled-headers": func(t *testing.T, o Outcome) {
				defended(t, o)
				if o.TimeToClose == 0 {
					t.Errorf("connection not ended: %s", o.Summary)
				}
			},
			"h2-stalled-body": func(t *testing.T, o Outcome) {
				defended(t, o)
				// The read deadline fails the handler's read, which
				// /upload answers with 400, unless the handler timeout
				// (as short in the test) answers 503 first.
				if o.Status != http.StatusBadRequest && o.Status != http.StatusServiceUnavailable {
					t.Errorf("status = %d, want 400 or 503 (%s)", o.Status, o.Summary)
				}
			},
			"h2-stream-exhaustion": func(t *testing.T, o Outcome) {
				defended(t, o)
				if limit := int(testBounds.MaxConcurrentStreams); o.PeakHandlers < limit {
					t.Errorf("peak handlers = %d, want the %d streams the server allows running", o.PeakHandlers, limit)
				}
			},
			// net/http has no concurrency limit; its handler timeout
			// answers 503 for requests that queued past it, so the
			// verdict depends on the machine's speed and is not
			// asserted.
			"overload": func(t *testing.T, o Outcome) {
				if o.Sent == 0 || o.UnloadedP99 == 0 {
					t.Errorf("sent %d, unloaded p99 %v; want requests sent and a latency measured", o.Sent, o.UnloadedP99)
				}
			},
			// The write deadline ends the handlers; what the kernel then
			// holds, closed gracefully, is the figure, not asserted.
			"slow-read": func(t *testing.T, o Outcome) {
				if o.PeakConns == 0 || o.TimeToClose == 0 && !strings.Contains(o.Summary, "still held") {
					t.Errorf("peak connections %d, summary %q; want readers served and a figure", o.PeakConns, o.Summary)
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
	all := Of(Server)

	// The scenarios run in waves, HTTP/1.1, HTTP/2, the overload, then
	// the slow readers; within a wave every scenario runs at the same
	// time, each against every target at once, so the suite takes as
	// long as the slowest scenario of each wave. The HTTP/2 floods and
	// the overload are CPU-bound, the slow readers keep the kernel busy
	// with TCP's zero-window probes and their count reads its socket
	// table, and CPU they took from a timed HTTP/1.1 scenario (or a TLS
	// handshake bounded by the header timeout) would change what it
	// measures.
	wave := func(s Scenario) int {
		switch {
		case s.Name == "slow-read":
			return 3
		case s.Name == "overload":
			return 2
		case strings.HasPrefix(s.Name, "h2-"):
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outcomes := make([][]Outcome, len(all))
	for w := range 4 {
		var wg sync.WaitGroup
		for i, s := range all {
			if wave(s) != w {
				continue
			}
			wg.Go(func() { outcomes[i] = s.Against(ctx, testBounds, targets...) })
		}
		wg.Wait()
	}

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
		if !slices.Contains(Kinds(), s.Kind) {
			t.Errorf("scenario %q has kind %q, which is not among Kinds()", s.Name, s.Kind)
		}
		if got, ok := Find(s.Name); !ok || got.Name != s.Name {
			t.Errorf("Find(%q) = %q, %v", s.Name, got.Name, ok)
		}
	}
	if _, ok := Find("no-such-scenario"); ok {
		t.Error("Find found a scenario that does not exist")
	}
	// All groups the scenarios by kind, in the order of Kinds, which is
	// the order the scorecard prints its tables in.
	var order []Kind
	for _, s := range All() {
		if len(order) == 0 || order[len(order)-1] != s.Kind {
			order = append(order, s.Kind)
		}
	}
	if !slices.Equal(order, Kinds()) {
		t.Errorf("All() runs the kinds in the order %v, want %v", order, Kinds())
	}
	for _, k := range Kinds() {
		if k.Title() == "" || k.Compares() == "" || len(Of(k)) == 0 {
			t.Errorf("kind %q lacks a title, a description or scenarios", k)
		}
	}
}

// A scenario run against a target of another kind says which field the
// target lacks instead of calling a nil function.
func TestWrongKindOfTargetIsReported(t *testing.T) {
	cases := []struct {
		scenario string
		target   Target
		field    string
	}{
		{scenario: "header-bomb", target: LoadOnce(), field: "Serve"},
		{scenario: "h2-rapid-reset", target: LoadOnce(), field: "Serve"},
		{scenario: "tls-diagnosis", target: ZeroValue(), field: "ServeFiles"},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			s, _ := Find(tc.scenario)
			o := s.Run(context.Background(), tc.target, testBounds)
			if o.Defended || !strings.Contains(o.Err, "sets no "+tc.field) {
				t.Errorf("outcome = %+v, want not defended and %s named", o, tc.field)
			}
		})
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

// servedAlone checks an unattacked row: every request answered, at
// least the legitimate client's least count, with a p99 for the server
// and one for its twin.
func servedAlone(t *testing.T, o Outcome) {
	t.Helper()
	defended(t, o)
	if _, least := testBounds.legitProbe(); o.Sent < least || o.LegitP99 <= 0 || o.UnattackedP99 <= 0 || o.LegitP99VsUnattacked <= 0 {
		t.Errorf("sent %d, p99 %v, twin's p99 %v, ratio %v; want at least %d requests and both p99s", o.Sent, o.LegitP99, o.UnattackedP99, o.LegitP99VsUnattacked, least)
	}
}

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

func wantGoAway(t *testing.T, o Outcome, code string) {
	t.Helper()
	if o.GoAway != code {
		t.Errorf("GOAWAY %q, want %q (%s)", o.GoAway, code, o.Summary)
	}
}

// pingFloodRan asserts what a PING flood does to any net/http server,
// whatever the verdict. The verdict itself depends on the machine's speed:
// net/http closes the connection when 10,000 acknowledgements wait
// unsent, which happens when it reads PINGs faster than it writes their
// acknowledgements, and (with WriteByteTimeout) when its writes stall for
// that long; on a slower machine, or under the race detector, its writer
// keeps up or the socket buffers absorb the flood, and neither happens
// before the attack ends.
func pingFloodRan(t *testing.T, o Outcome) {
	t.Helper()
	if o.FramesSent == 0 || o.Sent == 0 || o.Lost != 0 {
		t.Errorf("sent %d PINGs; legitimate client sent %d, lost %d; want a flood and every ordinary request served", o.FramesSent, o.Sent, o.Lost)
	}
}

// settingsFloodServed asserts what every net/http server does with a
// SETTINGS flood: it takes the whole flood and keeps serving.
func settingsFloodServed(t *testing.T, o Outcome) {
	t.Helper()
	defended(t, o)
	if o.FramesSent != testBounds.scaled(h2SettingsFrames) {
		t.Errorf("sent %d frames, want the whole flood of %d", o.FramesSent, testBounds.scaled(h2SettingsFrames))
	}
}

// handlersHeld asserts a reset flood ran as many handlers at once as
// net/http's default stream limit allows, and no more.
func handlersHeld(t *testing.T, o Outcome) {
	t.Helper()
	defended(t, o)
	if o.PeakHandlers < 250 {
		t.Errorf("peak handlers = %d, want net/http's default limit of 250 reached", o.PeakHandlers)
	}
	if o.GoAway != "" && o.GoAway != "ENHANCE_YOUR_CALM" {
		t.Errorf("GOAWAY %s, want none or ENHANCE_YOUR_CALM", o.GoAway)
	}
}

// handlersEscapeOrCalm asserts what a reset flood does to tunedTarget.
// http.TimeoutHandler runs the handler on a goroutine of its own and
// returns as soon as the stream is reset, so net/http's count of running
// handlers (its Rapid Reset mitigation) no longer sees the handlers it
// abandoned: once resets reach running handlers, the flood starts more of
// them than the streams the server advertises. Whether they do before
// net/http's queue of unstarted handlers ends the connection
// (ENHANCE_YOUR_CALM) depends on scheduling; either way the limit was
// reached.
func handlersEscapeOrCalm(t *testing.T, o Outcome) {
	t.Helper()
	limit := int(testBounds.MaxConcurrentStreams)
	switch {
	case o.PeakHandlers < limit:
		t.Errorf("peak handlers = %d, want the %d streams advertised reached (%s)", o.PeakHandlers, limit, o.Summary)
	case o.PeakHandlers > limit+legitSlack:
		exposed(t, o)
	default:
		defended(t, o)
		wantGoAway(t, o, "ENHANCE_YOUR_CALM")
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
				HTTP2:             tunedHTTP2(b),
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

// tunedHTTP2 is the HTTP/2 configuration of tunedTarget: a stream limit,
// windows and frames no larger than a request needs, and health PINGs
// that end a connection whose peer has gone silent (net/http's header
// timeout does not apply to an HTTP/2 header block that never ends).
func tunedHTTP2(b Bounds) *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxConcurrentStreams:          int(b.MaxConcurrentStreams),
		MaxReadFrameSize:              16 << 10,
		MaxReceiveBufferPerStream:     64 << 10,
		MaxReceiveBufferPerConnection: 1 << 20,
		SendPingTimeout:               b.PingAfter,
		PingTimeout:                   b.PingTimeout,
		WriteByteTimeout:              b.WriteByteTimeout,
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
