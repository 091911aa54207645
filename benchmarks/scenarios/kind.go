package scenarios

import (
	"context"
	"fmt"
)

// Kind is the family of a scenario: the table of the scorecard it is a
// row of, and the fields of [Target] its scenarios use, so the targets
// that can be compared on it. The scorecard prints one table per kind,
// in the order of [Kinds], each with its own targets as columns.
type Kind string

const (
	// Server scenarios attack an HTTP server on loopback. They use
	// [Target.Serve] (and [Target.ServeTLS] when set) and the [Bounds].
	Server Kind = "server"
	// TLS scenarios judge how a TLS server takes up a rotated
	// certificate and explains a failed handshake. They use
	// [Target.ServeFiles] and [Target.Explain] and ignore the [Bounds].
	TLS Kind = "tls"
	// Client scenarios call a loopback service that misbehaves with the
	// target's HTTP client. They use [Target.NewClient] and the
	// [Bounds.Client].
	Client Kind = "client"
)

// kind is a [Kind]'s entry in the registry.
type kind struct {
	kind Kind
	// title heads the first column of the kind's table.
	title string
	// compares says, for the help, what the kind's targets are.
	compares string
	// missing names the first field of t the kind's scenarios need that
	// t leaves nil, or returns "" when t has them all.
	missing func(t Target) string
	// scenarios are the kind's scenarios, in the order they run.
	scenarios []func() Scenario
}

// registry holds every kind and its scenarios, in the order the
// scorecard runs and prints them. The package documentation says how to
// add to it.
var registry = []kind{
	{
		kind:     Server,
		title:    "SCENARIO",
		compares: "HTTP servers under attack",
		missing: func(t Target) string {
			if t.Serve == nil && t.ServeTLS == nil {
				return "Serve"
			}
			return ""
		},
		scenarios: []func() Scenario{
			unattacked,
			slowHeaders,
			idleHoarding,
			slowBody,
			oversizedBodyCL,
			oversizedBodyChunked,
			headerBomb,
			handlerOverrun,
			shutdownLoss,
			h2Unattacked,
			h2RapidReset,
			h2MadeYouReset,
			h2ContinuationFlood,
			h2PingFlood,
			h2SettingsFlood,
			h2StalledHeaders,
			h2StalledBody,
			h2StreamExhaustion,
			overload,
			slowRead,
		},
	},
	{
		kind:     TLS,
		title:    "TLS SCENARIO",
		compares: "ways of running a TLS server, on certificate rotation and handshake diagnosis",
		missing: func(t Target) string {
			switch {
			case t.ServeFiles == nil:
				return "ServeFiles"
			case t.Explain == nil:
				return "Explain"
			}
			return ""
		},
		scenarios: []func() Scenario{tlsRotation, tlsDiagnosis},
	},
	{
		kind:     Client,
		title:    "CLIENT SCENARIO",
		compares: "HTTP clients calling a service that fails",
		missing: func(t Target) string {
			if t.NewClient == nil {
				return "NewClient"
			}
			return ""
		},
		scenarios: []func() Scenario{connectionChurn, slowHeader, deadHTTP2, retryStorm, tokenStorm, backendOutage},
	},
}

// Kinds returns every kind, in the order the scorecard prints their
// tables.
func Kinds() []Kind {
	ks := make([]Kind, len(registry))
	for i, k := range registry {
		ks[i] = k.kind
	}
	return ks
}

// Title is the heading of the first column of k's table ("SCENARIO",
// "TLS SCENARIO"); the other columns are headed by the targets' names.
func (k Kind) Title() string { return k.entry().title }

// Compares says in a few words what the targets of k's table are, for
// a help text.
func (k Kind) Compares() string { return k.entry().compares }

func (k Kind) entry() kind {
	for _, e := range registry {
		if e.kind == k {
			return e
		}
	}
	return kind{kind: k, title: string(k), missing: func(Target) string { return "" }}
}

// All returns every scenario, grouped by [Kind] in the order of [Kinds],
// in the order the scorecard runs them.
func All() []Scenario {
	var all []Scenario
	for _, k := range registry {
		for _, mk := range k.scenarios {
			s := mk()
			s.Kind = k.kind
			s.Run = checked(k, s.Run)
			all = append(all, s)
		}
	}
	return all
}

// Of returns the scenarios of kind k, in the order the scorecard runs
// them.
func Of(k Kind) []Scenario {
	var of []Scenario
	for _, s := range All() {
		if s.Kind == k {
			of = append(of, s)
		}
	}
	return of
}

// Find returns the scenario called name, whatever its kind.
func Find(name string) (Scenario, bool) {
	for _, s := range All() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// checked makes run refuse a target that lacks a field k's scenarios
// need, with an outcome naming the field, instead of calling a nil
// function.
func checked(k kind, run func(context.Context, Target, Bounds) Outcome) func(context.Context, Target, Bounds) Outcome {
	return func(ctx context.Context, t Target, b Bounds) Outcome {
		if f := k.missing(t); f != "" {
			return Outcome{Summary: "not runnable", Err: fmt.Sprintf("target %q sets no %s, which %s scenarios need", t.Name, f, k.kind)}
		}
		return run(ctx, t, b)
	}
}
