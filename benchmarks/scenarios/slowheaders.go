package scenarios

import (
	"context"
	"fmt"
	"time"
)

const (
	slowHeaderConns = 50
	slowHeaderPace  = 500 * time.Millisecond
	// slowHeaderLines bounds the header lines one connection sends; the
	// give-up ends the attack long before.
	slowHeaderLines = 1000
)

// slowHeaders is the Slowloris attack: many connections each keep a
// request's header block open by sending one line at a time.
func slowHeaders() Scenario {
	return Scenario{
		Name: "slow-headers",
		Description: fmt.Sprintf("%d connections each send a request line, then one header line every %v, and never end the header block (Slowloris).",
			slowHeaderConns, slowHeaderPace),
		Expect: "closes every connection within read_header + 1s",
		Waits:  true,
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			limit, giveUp := b.ReadHeader+time.Second, b.ReadHeader+3*time.Second
			ctx, cancel := context.WithTimeout(ctx, giveUp)
			defer cancel()

			head := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
			c := s.crowd(ctx, b.scaled(slowHeaderConns), func(p *probe) {
				p.trickle(ctx, head, slowHeaderPace, func(i int) []byte {
					if i >= slowHeaderLines {
						return nil
					}
					return fmt.Appendf(nil, "X-Slow-%d: 1\r\n", i)
				})
			})
			legit := s.whileLegit(ctx, func() { c.waitClosed(ctx) })
			c.close()

			o := c.closeOutcome(limit, giveUp)
			o.setLegit(legit)
			o.Summary += "; " + legitFigure(legit)
			return o
		}),
	}
}
