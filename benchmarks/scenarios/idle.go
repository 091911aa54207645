package scenarios

import (
	"context"
	"fmt"
	"time"
)

// idleConns is the size of the idle flood on a machine with descriptors
// to spare.
const idleConns = 1000

// idleHoarding opens many connections that never send a byte, to exhaust
// the server's descriptors and goroutines.
func idleHoarding() Scenario {
	return Scenario{
		Name: "idle-hoarding",
		Description: fmt.Sprintf("Up to %d connections connect and send nothing, holding the server's descriptors while ordinary clients keep arriving.",
			idleConns),
		Expect: "closes every silent connection within read_header + 1s",
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			limit, giveUp := b.ReadHeader+time.Second, b.ReadHeader+3*time.Second
			ctx, cancel := context.WithTimeout(ctx, giveUp)
			defer cancel()

			c := s.crowd(ctx, idleFloodSize(b), nil)
			legit := s.whileLegit(ctx, func() { c.waitClosed(ctx) })
			c.close()

			o := c.closeOutcome(limit, giveUp)
			o.setLegit(legit)
			o.Summary += fmt.Sprintf("; peak %d open; %s", s.ln.Peak(), legitFigure(legit))
			return o
		}),
	}
}

// idleFloodSize is how many silent connections the attack opens. Each
// costs two descriptors in this process (the attacker's and the server's
// side) and the scorecard attacks two targets at once, so the flood is
// kept to an eighth of the open-file limit: half of it stays free for
// everything else.
func idleFloodSize(b Bounds) int {
	return min(b.scaled(idleConns), openFileLimit()/8)
}
