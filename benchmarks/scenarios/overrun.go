package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// problemJSON is the media type of RFC 9457 problem details.
const problemJSON = "application/problem+json"

// handlerOverrun calls a handler that ignores its context and runs far
// past the handler timeout.
func handlerOverrun() Scenario {
	return Scenario{
		Name: "handler-overrun",
		Description: fmt.Sprintf("A GET /slow whose handler ignores its context and sleeps handler + %v; the client waits handler + 3s.",
			slowOverrun),
		Expect: "answers a complete 503 " + problemJSON + " instead of EOF or a hang",
		Waits:  true,
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			giveUp := b.Handler + 3*time.Second
			ctx, cancel := context.WithTimeout(ctx, giveUp)
			defer cancel()

			head := []byte("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
			c := s.crowd(ctx, 1, func(p *probe) { p.send(head) })
			c.waitSettled(ctx)
			c.close()

			o := answerOutcome(c, giveUp, func(p *probe) bool {
				return p.status == http.StatusServiceUnavailable && p.complete && mediaType(p.contentType) == problemJSON
			})
			if p := c.one(); p != nil && p.status != 0 {
				body := "body complete"
				if !p.complete {
					body = "body cut"
				}
				o.Summary += fmt.Sprintf(" (%s, %s)", orNone(mediaType(p.contentType)), body)
			}
			return o
		}),
	}
}

func orNone(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}
