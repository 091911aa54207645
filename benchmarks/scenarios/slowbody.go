package scenarios

import (
	"context"
	"fmt"
	"time"
)

const (
	slowBodyLength = 1 << 20
	slowBodyPace   = 300 * time.Millisecond
)

// slowBody is the slow POST (R-U-Dead-Yet): valid headers announce a
// large body, which then arrives one byte at a time. The announced length
// stays within max_body, so a size limit cannot refuse the request and
// only a body timeout can end it.
func slowBody() Scenario {
	return Scenario{
		Name: "slow-body",
		Description: fmt.Sprintf("A POST /upload announces a body of max_body (at most 1MiB) with valid headers, then sends it one byte every %v (slow POST).",
			slowBodyPace),
		Expect: "answers or closes the connection within body_window + 2s",
		Waits:  true,
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			limit, giveUp := b.BodyWindow+2*time.Second, b.BodyWindow+3*time.Second
			ctx, cancel := context.WithTimeout(ctx, giveUp)
			defer cancel()

			length := int64(slowBodyLength)
			if b.MaxBodyBytes > 0 {
				length = min(length, b.MaxBodyBytes)
			}
			head := fmt.Appendf(nil, "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", length)
			c := s.crowd(ctx, 1, func(p *probe) {
				p.trickle(ctx, head, slowBodyPace, func(i int) []byte {
					if int64(i) >= length {
						return nil
					}
					return []byte{'x'}
				})
			})
			c.waitSettled(ctx)
			c.close()

			o := answerOutcome(c, giveUp, func(p *probe) bool {
				after, reacted := p.reaction()
				return reacted && after <= limit
			})
			o.Summary += ", server read " + size(o.ServerBytesRead)
			return o
		}),
	}
}
