// Package scenarios holds the attacks and faults that the scorecard
// (`harden scorecard`) runs on loopback, and the plumbing that measures
// what each target did about them.
//
// # What a scenario is
//
// A [Scenario] runs against one [Target] and returns an [Outcome]:
// whether the target did what the scenario expects of harden
// ([Scenario.Expect]), a one-line human figure, and the numbers behind
// it. Each run starts a fresh instance of the target on 127.0.0.1, so
// scenarios and targets never share state; [Scenario.Against] runs
// against several targets at once, which is how the scorecard compares a
// baseline with harden.
//
// Every scenario has a [Kind], and the scorecard prints one table per
// kind: its rows are the kind's scenarios, its columns the targets the
// command compares on that kind, the baseline first. [Server] scenarios
// attack an HTTP server and compare a zero-value http.Server
// ([ZeroValue]) with a harden server; [TLS] scenarios compare a server
// that loads its certificate once ([LoadOnce]) with a tlsx source;
// [Client] scenarios call a loopback service that fails (never answers,
// goes silent, answers 503 or 401) and compare net/http's default client
// with the loops its users write by hand ([DefaultClient]) with harden's
// client. There is one [Target] type for every kind: a target sets the
// fields its kind's scenarios use. [All] lists every scenario, [Of] those of one
// kind, [Find] one by name.
//
// The package does not import harden's server packages. The command wires
// harden in as a Target, and derives the [Bounds] (how long a scenario
// waits before it gives up, how large its bodies and headers are) from
// harden's configuration, so an expectation such as "closes the
// connection within read_header + 1s" is checked against the value the
// server was actually given.
//
// # Adding a scenario
//
//  1. Write a function returning a [Scenario] with a unique kebab-case
//     Name, a Description of what the attacker does, the one-line Expect,
//     and a Run that stops by itself within a bound and leaves nothing
//     behind (see [Scenario.Run]). Server scenarios usually wrap their
//     body in attack, which starts and tears down the target.
//  2. Add the function to its kind's list in the registry (kind.go), at
//     the place its row belongs in the table.
//  3. Add its expectation to ExampleAll's output and a check for each
//     test target to the kind's test table; cmd/harden lists it in its
//     help and runs it without any change.
//
// # Adding a kind
//
//  1. Add a [Kind] constant, and to [Target] the fields its scenarios
//     call (documented "for the [YourKind] scenarios"), and to [Outcome]
//     the figures they measure (omitempty, zero when they do not apply).
//  2. Add an entry to the registry: the kind, the title of its table's
//     first column ("CLIENT SCENARIO"), what its targets are (for the
//     help), the fields a target must set, and its scenarios. Its
//     baseline target (a function like [ZeroValue]) lives in this package.
//  3. In cmd/harden, give the bench a lineup for the kind: the baseline,
//     then harden, which is the subject whose verdicts decide the exit
//     status. The renderer prints the new table, headed by the kind's
//     title and the targets' names in capitals ("HTTP.DEFAULTCLIENT"),
//     and --json puts it in "tables" with no further change.
//
// # What is measured
//
// The measurements are taken where they cannot be fooled by the attacker's
// own view: the listener handed to the target counts the bytes the server
// read and the connections it held open (and their peak); the handler
// counts the handlers in flight; attacker connections are written by hand
// and record the answer the server sent and the moment it closed the
// connection; a legitimate client sends ordinary requests during the
// attack and reports their 99th-percentile latency and losses.
//
// # The legitimate client and its unattacked twin
//
// What an attack does to a server's other clients is read from a
// legitimate client that calls the attacked server and, at the same
// moments, an unattacked twin: a second instance of the same target,
// with the same bounds, in the same process, that no attacker touches.
// It sends one GET to each every 10ms, the two at once (which goes first
// takes turns, so the order favours neither), from a moment before the
// attack until the attack is over and at least 200 pairs were sent, so each p99 rests on 200 samples or more
// even where the attack is over in a fraction of a second (the window
// then takes in the attack's aftermath, which is where its harm often
// lies: handlers left running, a limit lowered). [Outcome.LegitP99] is
// the attacked server's p99, [Outcome.UnattackedP99] the twin's and
// [Outcome.LegitP99VsUnattacked] their ratio; requests lost count for the
// attacked server alone.
//
// The scorecard runs its attackers, targets and clients in one process
// on a shared machine, and runs the scenarios that only wait on timers
// beside the others. Whatever loads the process then (the attacker's own
// work, the scenarios beside, other programs, a garbage collection)
// slows the twin as much as the attacked server, so the ratio keeps only
// what is the attacked server's own: its connection and stream limits,
// its concurrency limit and backlog, its locks, its write scheduling.
// For the same reason it leaves out the CPU the attacked server spends
// on the attack, which the process shares with the twin: that cost is
// reported as the process's CPU time during each HTTP/2 attack. The
// unattacked rows compare two twins, so their ratio is the noise of the
// method on that run.
//
// # HTTP/2
//
// The scenarios named h2-* attack HTTP/2: Rapid Reset, MadeYouReset, the
// CONTINUATION, PING and SETTINGS floods, stalled header blocks and
// bodies, and stream exhaustion. HTTP/2 is spoken over TLS, so for them
// the target serves a TLS listener (over the counting one) with a
// self-signed ECDSA certificate for 127.0.0.1, made once per process,
// whose ALPN offers "h2" first; every client, attacker or legitimate,
// verifies against that certificate. The attacker writes frames by hand
// with golang.org/x/net/http2's Framer, and records what the server sent
// back: its SETTINGS (the stream limit it advertises), the streams it
// answered or reset, its GOAWAY and when it closed the connection. The
// legitimate client is an ordinary http.Client speaking HTTP/2 on a
// connection of its own to each server. Each outcome also carries the frames sent and
// the CPU time the process used during the attack; the scorecard attacks
// its targets at once in one process, so that figure is the process's,
// not a target's.
//
// # Safety
//
// All traffic goes to 127.0.0.1. Every attack loop is bounded in count
// (connections, frames or streams) and in time and stops by itself; every goroutine a scenario starts has
// ended when its Run returns, and every connection it opened (on both
// sides) is closed, whatever the target did.
package scenarios
