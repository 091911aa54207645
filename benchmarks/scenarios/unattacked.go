package scenarios

import (
	"context"
)

// Names of the scenarios that measure the legitimate client without an
// attack: two unattacked instances of a target side by side, which shows
// how far apart the p99s of two identical servers are when nothing sets
// them apart, the noise under every attack row's ratio.
const (
	Unattacked   = "unattacked"
	H2Unattacked = "h2-unattacked"
)

// unattacked is the legitimate client alone, over HTTP/1.1.
func unattacked() Scenario {
	return Scenario{
		Name:        Unattacked,
		Description: "No attack: the legitimate client alone, one request at a time on fresh connections, to one server and to its unattacked twin, for the noise under the ratios of the attack rows.",
		Expect:      "answers every request",
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			return alone(s.whileLegit(ctx, func() {}))
		}),
	}
}

// h2Unattacked is unattacked over HTTP/2.
func h2Unattacked() Scenario {
	return Scenario{
		Name:        H2Unattacked,
		Description: "No attack: the legitimate HTTP/2 client alone, to one server and to its unattacked twin, for the noise under the ratios of the HTTP/2 attack rows.",
		Expect:      "answers every request",
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			return alone(s.whileLegitH2(ctx, func() {}))
		}),
	}
}

// alone is the outcome of the legitimate client without an attack.
func alone(legit probed) Outcome {
	o := Outcome{Defended: servedLegit(legit), Summary: legitFigure(legit)}
	o.setLegit(legit)
	return o
}
