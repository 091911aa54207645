package scenarios

import (
	"context"
	"time"
)

// unattackedFor is how long the unattacked scenarios let the legitimate
// client run alone: about fifty requests at its pace.
const unattackedFor = time.Second

// Names of the scenarios that measure the legitimate client without an
// attack, the baselines of the p99 it sees under attack.
const (
	Unattacked   = "unattacked"
	H2Unattacked = "h2-unattacked"
)

// UnattackedOf names the baseline for scenario: [H2Unattacked] for the
// HTTP/2 scenarios, [Unattacked] for the other server scenarios.
func UnattackedOf(scenario string) string {
	if len(scenario) > 3 && scenario[:3] == "h2-" {
		return H2Unattacked
	}
	return Unattacked
}

// unattacked is the legitimate client alone, over HTTP/1.1, so that its
// p99 under each attack can be read against it.
func unattacked() Scenario {
	return Scenario{
		Name:        Unattacked,
		Description: "No attack: the legitimate client alone, one request at a time on fresh connections, for the baseline of its p99 under the attacks.",
		Expect:      "answers every request",
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			return alone(s.whileLegit(ctx, func() { pause(ctx, unattackedFor) }))
		}),
	}
}

// h2Unattacked is unattacked over HTTP/2, the baseline of the h2-
// scenarios.
func h2Unattacked() Scenario {
	return Scenario{
		Name:        H2Unattacked,
		Description: "No attack: the legitimate HTTP/2 client alone, for the baseline of its p99 under the HTTP/2 attacks.",
		Expect:      "answers every request",
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			return alone(s.whileLegitH2(ctx, func() { pause(ctx, unattackedFor) }))
		}),
	}
}

// alone is the outcome of the legitimate client without an attack.
func alone(legit tally) Outcome {
	return Outcome{Defended: servedLegit(legit), Summary: legitFigure(legit), LegitP99: legit.p99(), Sent: legit.sent, Lost: legit.lost}
}
