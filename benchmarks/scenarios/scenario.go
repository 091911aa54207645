package scenarios

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"sync"
	"time"
)

// Target is one implementation under test: a column of the scorecard.
// A target sets the fields that the scenarios of its [Kind] use and may
// leave the others nil; a scenario run against a target that lacks them
// reports so in [Outcome.Err].
type Target struct {
	// Name labels the target's column in the scorecard: "net/http zero
	// value", "crypto/tls load once", "harden".
	Name string `json:"name"`

	// Serve, for the [Server] scenarios, serves h on l in the background
	// and returns the function the target's users call on SIGTERM
	// (http.Server.Shutdown for the zero value, harden's
	// drain-then-shutdown for harden). l is already wrapped by the
	// scenario for counting and h is the scenario's handler; Serve must
	// not replace either, may wrap both, and must return promptly. After
	// a run the scenario closes l and every connection accepted from it,
	// and calls shutdown (at most once) with a short deadline; the
	// goroutine serving l must end then.
	Serve func(l net.Listener, h http.Handler) (shutdown func(context.Context) error, err error) `json:"-"`

	// ServeTLS is Serve for the HTTP/2 scenarios, which need TLS: the
	// target terminates TLS on l with cfg (a certificate for 127.0.0.1,
	// ALPN "h2" then "http/1.1") as it does in production, and speaks
	// HTTP/2 to the clients that negotiate it. cfg is the target's to
	// keep. When ServeTLS is nil, those scenarios call Serve with a TLS
	// listener over l instead; a net/http server speaks HTTP/2 on it
	// only if each accepted connection reaches it as a *tls.Conn, which a
	// listener wrapping the connections (a connection cap) prevents.
	ServeTLS func(l net.Listener, h http.Handler, cfg *tls.Config) (shutdown func(context.Context) error, err error) `json:"-"`

	// ServeFiles, for the [TLS] scenarios, loads the certificate and key
	// from certFile and keyFile and completes a TLS handshake on each
	// connection accepted from l (see [ServeHandshakes]), in the
	// background. It returns reload, which makes the server take up new
	// content of the files without a restart, or nil when the target can
	// take it up only by being restarted; and stop, which closes l and
	// every connection and returns when the server's goroutines have
	// ended.
	ServeFiles func(l net.Listener, certFile, keyFile string) (reload func() error, stop func(), err error) `json:"-"`

	// Explain, for the [TLS] scenarios, turns the error of a failed
	// handshake into what the operator reads: the kind of failure it
	// names (empty when it names none) and the message. trusted are the
	// CA certificates the side that failed trusts.
	Explain func(err error, trusted []*x509.Certificate) (kind, message string) `json:"-"`

	// NewClient, for the [Client] scenarios, returns the client the
	// target's users call a service with, set up as spec asks, and a
	// function that releases it: closes its idle connections and ends
	// whatever it started.
	NewClient func(spec ClientSpec) (c *http.Client, release func(), err error) `json:"-"`
}

// Bounds are the limits a scenario measures against: how long it waits
// before it gives up, and how large it makes what it sends. The command
// derives them from harden's configuration, so each expectation refers to
// the values the harden target was given. The zero value is not useful.
type Bounds struct {
	// ReadHeader is the time the target allows for a request's headers.
	ReadHeader time.Duration `json:"read_header_ns"`
	// Idle is the target's keep-alive idle timeout. No scenario waits on
	// it; it is carried so a report states every bound.
	Idle time.Duration `json:"idle_ns"`
	// BodyWindow is the longest the target lets a body trickle before it
	// gives up on it (the larger of its stall timeout and rate window).
	BodyWindow time.Duration `json:"body_window_ns"`
	// Handler is the time a handler may run before the target answers.
	Handler time.Duration `json:"handler_ns"`
	// Drain is the target's drain delay: how long it keeps serving after
	// shutdown begins.
	Drain time.Duration `json:"drain_ns"`
	// Shutdown is how long the target waits for in-flight requests once
	// it has stopped listening.
	Shutdown time.Duration `json:"shutdown_ns"`
	// MaxHeaderBytes is the target's limit on a request's header block;
	// it must be positive.
	MaxHeaderBytes int64 `json:"max_header_bytes"`
	// MaxBodyBytes is the target's limit on a request body; it must be
	// positive.
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// MaxConcurrentStreams is the most HTTP/2 streams the target lets
	// one connection have open (SETTINGS_MAX_CONCURRENT_STREAMS). Zero
	// means the limit the server advertises in its SETTINGS frame.
	MaxConcurrentStreams uint32 `json:"max_concurrent_streams,omitempty"`
	// PingAfter and PingTimeout are the target's HTTP/2 health check: a
	// PING after PingAfter without any frame from the peer, and the end of
	// the connection when its answer has not come PingTimeout later. Zero
	// PingAfter: no health check.
	PingAfter   time.Duration `json:"ping_after_ns,omitempty"`
	PingTimeout time.Duration `json:"ping_timeout_ns,omitempty"`
	// WriteByteTimeout is how long the target lets its writes to a peer
	// that stopped reading stall before it ends the connection. Zero:
	// none.
	WriteByteTimeout time.Duration `json:"write_byte_timeout_ns,omitempty"`
	// Scale shrinks the attacks that open many connections or streams,
	// and the SETTINGS flood (for tests and small machines): each count
	// is multiplied by Scale and kept at one or more. The legitimate
	// client's rate and the least count of its requests are multiplied
	// by it too. Zero means 1, the full attack.
	Scale float64 `json:"scale,omitempty"`

	// Client holds the bounds of the [Client] scenarios.
	Client ClientBounds `json:"client,omitzero"`
}

// scaled returns n attackers adjusted by b.Scale, at least one.
func (b Bounds) scaled(n int) int {
	if b.Scale <= 0 {
		return n
	}
	return max(1, int(float64(n)*b.Scale))
}

// legitProbe returns the pace of the legitimate client and the least
// number of requests it sends, adjusted by b.Scale.
func (b Bounds) legitProbe() (pace time.Duration, least int) {
	if b.Scale <= 0 {
		return legitPace, legitMin
	}
	return time.Duration(float64(legitPace) / b.Scale), b.scaled(legitMin)
}

// Scenario is one attack or fault, run against one target at a time.
// Every table of the scorecard is a list of scenarios of one [Kind].
type Scenario struct {
	// Name is the scenario's stable, kebab-case identifier
	// ("slow-headers"), used by `harden scorecard --scenario`. Names are
	// unique across kinds.
	Name string `json:"name"`
	// Kind is the table the scenario belongs to, and so the fields of
	// [Target] its Run uses. [All] sets it from the registry.
	Kind Kind `json:"kind"`
	// Description says what the attacker does, in a sentence or two.
	Description string `json:"description"`
	// Expect is what harden must do, in one line ("closes every connection
	// within read_header + 1s"); Outcome.Defended reports whether a
	// target did it.
	Expect string `json:"expect"`
	// Waits marks a scenario that spends its time waiting out a target's
	// timer (a handler timeout, a health check) while sending almost
	// nothing, so a runner may run it alongside the other scenarios of
	// its kind without disturbing their figures.
	Waits bool `json:"waits,omitempty"`
	// Run runs the scenario against a fresh instance of t and measures
	// the outcome; b bounds the [Server] scenarios and is ignored by the
	// others. It stops by itself within a bound derived from b (a few
	// seconds for those that ignore it), sooner when ctx ends, and leaves
	// no goroutine, connection or file behind. It is safe to call
	// concurrently.
	Run func(ctx context.Context, t Target, b Bounds) Outcome `json:"-"`
}

// Outcome is what one run of a scenario measured. A figure that does not
// apply to the scenario is zero, and left out of the JSON.
type Outcome struct {
	// Defended reports whether the scenario's expectation held.
	Defended bool `json:"defended"`
	// Summary is a short human figure: "all 50 closed, last after 1.0s",
	// "413 after 0.0s, server read 4.1 KiB", "open at give-up (8.0s)".
	Summary string `json:"summary"`
	// TimeToClose is how long the server took to react: to close the
	// last attacking connection it closed, to answer or close a single
	// one, for HTTP/2 to send GOAWAY or close the connection (or answer
	// or reset the attacking stream) counted from the client preface,
	// or, for shutdown, to return from its shutdown function.
	TimeToClose time.Duration `json:"time_to_close_ns,omitempty"`
	// Status is the status code the server answered the attack with.
	Status int `json:"status,omitempty"`
	// ServerBytesRead is how many bytes the server had read from the
	// attacking connection when it answered (or when the attack ended
	// without an answer).
	ServerBytesRead int64 `json:"server_bytes_read,omitempty"`
	// PeakConns is the most connections the server held open at once.
	PeakConns int `json:"peak_conns,omitempty"`
	// PeakHandlers is the most handlers that ran at once.
	PeakHandlers int `json:"peak_handlers,omitempty"`
	// LegitP99 is the 99th-percentile latency of the ordinary requests a
	// legitimate client sent during the attack.
	LegitP99 time.Duration `json:"legit_p99_ns,omitempty"`
	// UnattackedP99 is the same client's p99, at the same moments,
	// against an unattacked twin of the target in the same process, and
	// LegitP99VsUnattacked is LegitP99 over it: what the attack did to
	// the server's other clients, with the load the whole process and
	// machine were under cancelled out (see the package documentation).
	// Both are zero where no legitimate client was measured against a
	// twin.
	UnattackedP99        time.Duration `json:"unattacked_p99_ns,omitempty"`
	LegitP99VsUnattacked float64       `json:"legit_p99_vs_unattacked,omitempty"`
	// AdmittedP99 is the 99th-percentile latency of the requests a
	// server under overload answered 200, once it had settled;
	// UnloadedP99 the same before the overload.
	AdmittedP99 time.Duration `json:"admitted_p99_ns,omitempty"`
	UnloadedP99 time.Duration `json:"unloaded_p99_ns,omitempty"`
	// Goodput is how many requests a second a server under overload
	// answered 200.
	Goodput float64 `json:"goodput_per_s,omitempty"`
	// Shed counts the requests a server under overload refused with
	// 503, out of Sent.
	Shed int `json:"shed,omitempty"`
	// OpenSockets samples, once a second from the start of the attack
	// and once more when none is left, how many of the attacking
	// connections the server's kernel still held (in any TCP state but
	// TIME-WAIT, FIN-WAIT-1 included); nil where the kernel cannot be
	// asked (outside Linux).
	OpenSockets []int `json:"open_sockets,omitempty"`
	// Lost and Sent count ordinary requests that failed (an error or a
	// status other than 200) and that were sent, during the attack or
	// during shutdown.
	Lost int `json:"lost,omitempty"`
	Sent int `json:"sent,omitempty"`
	// GoAway is the error code of the HTTP/2 GOAWAY the server sent
	// ("NO_ERROR", "ENHANCE_YOUR_CALM"), empty when it sent none.
	GoAway string `json:"goaway,omitempty"`
	// FramesSent counts the HTTP/2 frames the attacker sent.
	FramesSent int `json:"frames_sent,omitempty"`
	// ProcessCPU is the CPU time (user and system) the whole process
	// used during an HTTP/2 attack. The scorecard attacks its targets at
	// once in one process, so the figure covers every target, the
	// attacker and the legitimate client: it compares scenarios, not
	// targets.
	ProcessCPU time.Duration `json:"process_cpu_ns,omitempty"`
	// Handshakes and Failed count the TLS handshakes the clients
	// attempted during a certificate rotation, and those that failed.
	Handshakes int `json:"handshakes,omitempty"`
	Failed     int `json:"failed,omitempty"`
	// Restarted reports that the target had to be restarted to take up
	// a rotated certificate.
	Restarted bool `json:"restarted,omitempty"`
	// NewCertServedWithoutRestart reports that, right after the
	// rotation and before any restart, a client trusting only the new
	// CA was served the new certificate.
	NewCertServedWithoutRestart bool `json:"new_cert_served_without_restart,omitempty"`
	// NewCertServedAtEnd reports that such a client was served at the
	// end of the run, after a restart if there was one.
	NewCertServedAtEnd bool `json:"new_cert_served_at_end,omitempty"`
	// Diagnoses are the messages of each broken handshake.
	Diagnoses []Diagnosis `json:"diagnoses,omitempty"`
	// NewConns counts the connections a client opened to the service.
	NewConns int `json:"new_conns,omitempty"`
	// TimeToFail is how long a call took to fail against a service
	// that never answered; zero when it had not failed at give-up.
	TimeToFail time.Duration `json:"time_to_fail_ns,omitempty"`
	// TimeToRecover is how long after a connection went silent a call
	// first succeeded; zero when none had at give-up.
	TimeToRecover time.Duration `json:"time_to_recover_ns,omitempty"`
	// AttemptsPerRequest is the attempts that reached a failing service
	// per call the client's users made.
	AttemptsPerRequest float64 `json:"attempts_per_request,omitempty"`
	// HealthyRate and OutageRate are the attempts per second that
	// reached a service before and during its outage.
	HealthyRate float64 `json:"healthy_rate_per_s,omitempty"`
	OutageRate  float64 `json:"outage_rate_per_s,omitempty"`
	// ModelledPeers are figures computed from other libraries'
	// documented defaults rather than measured, by library name (and,
	// after an underscore, the figure's name when it is not the main
	// one).
	ModelledPeers map[string]float64 `json:"modelled_peers,omitempty"`
	// TokenFetches counts the fetches of a new token.
	TokenFetches int `json:"token_fetches,omitempty"`
	// Err says why the scenario could not be run (the target did not
	// start, no connection could be made); Defended is then false.
	Err string `json:"error,omitempty"`
}

// Diagnosis is what an operator reads about one broken handshake.
type Diagnosis struct {
	// Variant names the misconfiguration ("expired").
	Variant string `json:"variant"`
	// Want is the kind of failure that names it, as tlsx.Kind spells
	// it; Kind is the kind the target named, empty when none.
	Want string `json:"want_kind"`
	Kind string `json:"kind,omitempty"`
	// Message is what the target said.
	Message string `json:"message"`
	// Explained reports that the target named the right kind with a
	// message.
	Explained bool `json:"explained"`
}

// Against runs s against a fresh server of each target at the same time
// and returns the outcomes in the order of targets.
func (s Scenario) Against(ctx context.Context, b Bounds, targets ...Target) []Outcome {
	out := make([]Outcome, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { out[i] = s.Run(ctx, t, b) })
	}
	wg.Wait()
	return out
}

// attack turns the body of a scenario into its Run function: it starts a
// fresh server of the target, runs body against it, records the peaks the
// server reached, and tears the server down whatever body left behind.
func attack(body func(ctx context.Context, s *server, b Bounds) Outcome) func(context.Context, Target, Bounds) Outcome {
	return func(ctx context.Context, t Target, b Bounds) Outcome {
		s, err := start(t, b)
		if err != nil {
			return Outcome{Summary: "could not start", Err: err.Error()}
		}
		defer s.close()
		o := body(ctx, s, b)
		o.PeakConns = s.ln.Peak()
		o.PeakHandlers = s.h.Peak()
		return o
	}
}
