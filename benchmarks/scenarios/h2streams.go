package scenarios

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/net/http2"
)

const (
	// h2ExtraStreams is how many streams past the limit the attacker
	// opens.
	h2ExtraStreams = 10
	// h2UnlimitedStreams is how many streams the attacker opens when
	// neither the bounds nor the server name a limit.
	h2UnlimitedStreams = 1000
	// h2StreamsGiveUp bounds the stream exhaustion attack in time.
	h2StreamsGiveUp = 3 * time.Second
	// h2StreamsSettle is how long the attacker waits for the server to
	// start or refuse every stream it opened.
	h2StreamsSettle = time.Second
)

// h2StreamExhaustion opens more streams on one connection than the server
// allows, each to a handler that holds on, to see whether the server's
// stream limit really bounds the handlers one connection can start.
func h2StreamExhaustion() Scenario {
	return Scenario{
		Name: "h2-stream-exhaustion",
		Description: fmt.Sprintf("One HTTP/2 connection opens max_concurrent_streams + %d streams, each a GET /slow whose handler holds on, and keeps them open.",
			h2ExtraStreams),
		Expect: "runs at most max_concurrent_streams handlers for the connection, refusing (RST_STREAM) or queueing the streams beyond, and keeps serving other clients",
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			ctx, cancel := context.WithTimeout(ctx, h2StreamsGiveUp)
			defer cancel()
			c, err := s.dialH2(ctx, h2Dial{ackPings: true})
			if err != nil {
				return noH2(err)
			}
			adv := c.advertisedStreams()
			limit := b.MaxConcurrentStreams
			if limit == 0 {
				limit = adv
			}
			streams := h2UnlimitedStreams
			if limit > 0 || adv > 0 {
				streams = int(max(limit, adv)) + h2ExtraStreams
			}
			frames := 0
			block := c.request("GET", "/slow")
			legit := s.whileLegitH2(ctx, func() {
				frames = c.flood(ctx, streams, func(fr *http2.Framer, i int) (int, error) {
					return 1, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: uint32(2*i + 1), BlockFragment: block, EndStream: true, EndHeaders: true})
				})
				c.waitStarted(ctx, frames, h2StreamsSettle)
			})
			running := s.h.Inflight()
			c.close()

			o := h2Outcome(c, frames, legit)
			peak := s.h.Peak()
			o.Defended = limit > 0 && peak <= int(limit)+legitSlack && servedLegit(legit)
			limits := fmt.Sprintf("limit %d, advertised %d", limit, adv)
			if limit == 0 {
				limits = "no limit advertised"
			}
			o.Summary = fmt.Sprintf("%d streams opened: peak %d handlers (%s), %d running at the end, %s; %s; %s",
				frames, peak, limits, running, c.resetFigure(), c.ending("connection kept open"), legitFigure(legit))
			return o
		}),
	}
}

// waitStarted waits up to d, or until ctx ends or the server ends the
// connection, for the server to have started or reset every one of the
// streams the attacker opened.
func (c *h2conn) waitStarted(ctx context.Context, streams int, d time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := time.NewTicker(h2Poll)
	defer t.Stop()
	for !c.ended() {
		reset := 0
		for _, n := range c.resetCounts() {
			reset += n
		}
		if c.srv.h.Inflight()+reset >= streams {
			return
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
