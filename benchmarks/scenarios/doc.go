// Package scenarios holds the attacks and faults that the scorecard
// (`harden scorecard`) runs on loopback against an HTTP server, and the
// plumbing that measures what the server did about them.
//
// # What a scenario is
//
// A [Scenario] attacks one [Target] (a way to serve a handler on a
// listener) and returns an [Outcome]: whether the target did what the
// scenario expects of harden ([Scenario.Expect]), a one-line human figure,
// and the numbers behind it. Each run starts a fresh server of the target
// on 127.0.0.1, so scenarios and targets never share state; [Scenario.Against]
// attacks several targets at once, which is how the scorecard compares a
// zero-value http.Server ([ZeroValue]) with a harden server.
//
// The package does not import harden's server packages. The command wires
// harden in as a Target, and derives the [Bounds] (how long a scenario
// waits before it gives up, how large its bodies and headers are) from
// harden's configuration, so an expectation such as "closes the
// connection within read_header + 1s" is checked against the value the
// server was actually given.
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
// # Safety
//
// All traffic goes to 127.0.0.1. Every attack loop is bounded in count
// and in time and stops by itself; every goroutine a scenario starts has
// ended when its Run returns, and every connection it opened (on both
// sides) is closed, whatever the target did.
package scenarios
