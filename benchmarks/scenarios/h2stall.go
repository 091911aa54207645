package scenarios

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/net/http2"
)

// h2StalledHeaders is Slowloris for HTTP/2: a header block that is begun
// and never finished. No stream exists until the block ends, so
// net/http's ReadHeaderTimeout and ReadTimeout never start (they apply to
// HTTP/1 and to HTTP/2 requests once their headers are complete). Only a
// connection-wide timer ends it: the idle timeout, or a health PING the
// silent attacker does not answer.
//
// A client that answers nothing is found out by the health check: the
// bound is ping_after + ping_timeout, with 2s for the server's GOAWAY
// grace. (One that answers PINGs is bounded only by the idle timeout,
// which runs through an unfinished header block.) Without a health check
// the bound is the idle timeout.
func h2StalledHeaders() Scenario {
	return Scenario{
		Name:        "h2-stalled-headers",
		Description: "One HTTP/2 connection sends a HEADERS frame without END_HEADERS and then nothing at all, not even answers to PINGs (Slowloris over HTTP/2).",
		Expect:      "ends the connection (GOAWAY or close) within http2.ping_after + ping_timeout + 2s",
		Waits:       true,
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			limit := b.Idle + 2*time.Second
			if b.PingAfter > 0 {
				limit = b.PingAfter + b.PingTimeout + 2*time.Second
			}
			giveUp := limit + time.Second
			ctx, cancel := context.WithTimeout(ctx, giveUp)
			defer cancel()
			c, err := s.dialH2(ctx, h2Dial{ackPings: false})
			if err != nil {
				return noH2(err)
			}
			head := c.request("GET", "/")
			frames := 0
			legit := s.whileLegitH2(ctx, func() {
				err := c.write(func(fr *http2.Framer) error {
					return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: head, EndStream: true})
				})
				if err == nil {
					frames = 1
				}
				c.waitEnded(ctx)
			})
			c.close()

			o := h2Outcome(c, frames, legit)
			after, ended := c.reaction()
			o.Defended = ended && after <= limit
			o.Summary = fmt.Sprintf("%s; %s", c.ending(fmt.Sprintf("open at give-up (%s)", secs(giveUp))), legitFigure(legit))
			return o
		}),
	}
}

// h2StalledBody is the slow POST over HTTP/2: a request announces a body
// and sends none of it.
func h2StalledBody() Scenario {
	return Scenario{
		Name:        "h2-stalled-body",
		Description: "One HTTP/2 stream sends the complete headers of a POST /upload announcing a body of max_body (at most 1MiB), then no DATA at all.",
		Expect:      "answers the stream or resets it within body_window + 2s",
		Waits:       true,
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			limit, giveUp := b.BodyWindow+2*time.Second, b.BodyWindow+3*time.Second
			ctx, cancel := context.WithTimeout(ctx, giveUp)
			defer cancel()
			c, err := s.dialH2(ctx, h2Dial{ackPings: true})
			if err != nil {
				return noH2(err)
			}
			length := int64(slowBodyLength)
			if b.MaxBodyBytes > 0 {
				length = min(length, b.MaxBodyBytes)
			}
			head := c.request("POST", "/upload", "content-type", "application/octet-stream", "content-length", strconv.FormatInt(length, 10))
			frames := 0
			legit := s.whileLegitH2(ctx, func() {
				err := c.write(func(fr *http2.Framer) error {
					return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: head, EndHeaders: true})
				})
				if err == nil {
					frames = 1
				}
				c.waitStream(ctx, 1)
			})
			c.close()

			o := h2Outcome(c, frames, legit)
			after, status, code, reacted := c.streamReaction(1)
			o.Status = status
			o.TimeToClose = after
			o.Defended = reacted && after <= limit
			switch {
			case status != 0:
				o.Summary = fmt.Sprintf("%d after %s", status, secs(after))
			case code != "":
				o.Summary = fmt.Sprintf("RST_STREAM %s after %s", code, secs(after))
			case reacted:
				o.Summary = c.ending("")
			default:
				o.Summary = fmt.Sprintf("no answer, open at give-up (%s)", secs(giveUp))
			}
			o.Summary += "; " + legitFigure(legit)
			return o
		}),
	}
}

// waitStream waits until the server has answered or reset stream id, has
// ended the connection, or ctx ends.
func (c *h2conn) waitStream(ctx context.Context, id uint32) {
	t := time.NewTicker(h2Poll)
	defer t.Stop()
	for {
		if _, _, _, ok := c.streamReaction(id); ok {
			return
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// streamReaction reports the server's first reaction to stream id: the
// status of its answer, the code of its reset, or the end of the
// connection, and when it came.
func (c *h2conn) streamReaction(id uint32) (after time.Duration, status int, reset string, ok bool) {
	c.mu.Lock()
	status, answered := c.answers[id]
	code, wasReset := c.resets[id]
	first := c.firstReaction
	c.mu.Unlock()
	switch {
	case answered:
		return first, status, "", true
	case wasReset:
		return first, 0, code.String(), true
	}
	if c.ended() {
		after, _ := c.reaction()
		return after, 0, "", true
	}
	return 0, 0, "", false
}
