package scenarios

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/net/http2"
)

const (
	// h2Pings bounds the PING flood (before Scale): 1.7 MB of
	// acknowledgements, far more than the attacker's small receive
	// buffer and the server's send buffer hold, so a server that queues
	// them for an attacker who never reads has to decide what to do.
	h2Pings = 100000
	// h2SettingsFrames bounds the SETTINGS flood (before Scale).
	h2SettingsFrames = 20000
	// h2SettingsGiveUp bounds the SETTINGS flood in time.
	h2SettingsGiveUp = 3 * time.Second
)

// h2PingFlood sends PINGs and never reads the acknowledgements, so they
// pile up in the server's memory once the socket's buffers are full
// (CVE-2019-9512).
func h2PingFlood() Scenario {
	return Scenario{
		Name: "h2-ping-flood",
		Description: fmt.Sprintf("One HTTP/2 connection with a 4KiB receive buffer stops reading and sends up to %d PING frames in %v, so the server's acknowledgements pile up unread (Ping flood, CVE-2019-9512).",
			h2Pings, h2FloodGiveUp),
		Expect: "closes the connection within limits.write_stall_timeout + 2s of the flood, once its acknowledgements stop being read, and keeps serving other clients",
		Waits:  true,
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			ctx, cancel := context.WithTimeout(ctx, h2FloodGiveUp+b.WriteByteTimeout+3*time.Second)
			defer cancel()
			c, err := s.dialH2(ctx, h2Dial{quiet: true})
			if err != nil {
				return noH2(err)
			}
			frames := 0
			ended := false
			legit := s.whileLegitH2(ctx, func() {
				frames = c.flood(ctx, h2Pings, func(fr *http2.Framer, i int) (int, error) {
					var data [8]byte
					data[0], data[1], data[2], data[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
					return 1, fr.WritePing(false, data)
				})
				// Judge before reading again: once the attacker reads,
				// the server's queue drains and the pressure is gone. A
				// server gets write_byte_timeout to notice that its
				// writes have stalled.
				c.drain(ctx, b.WriteByteTimeout+2*time.Second)
				ended = c.ended()
				// Read what the server sent, for its GOAWAY.
				c.resume()
				c.settle(ctx, h2Settle)
			})
			c.close()

			o := h2Outcome(c, frames, legit)
			o.Defended = ended && servedLegit(legit)
			o.Summary = fmt.Sprintf("%s; %d PINGs sent unread; %s",
				c.ending(fmt.Sprintf("still open after %s", secs(c.sinceStart()))), frames, legitFigure(legit))
			return o
		}),
	}
}

// h2SettingsFlood sends SETTINGS frames as fast as the server takes them
// and reads every acknowledgement, so nothing piles up: each frame costs
// the server a parse, a window adjustment for every stream and an
// acknowledgement (CVE-2019-9515). The protocol gives the server no reason
// to refuse it, and net/http does not.
func h2SettingsFlood() Scenario {
	return Scenario{
		Name: "h2-settings-flood",
		Description: fmt.Sprintf("One HTTP/2 connection sends up to %d SETTINGS frames, each changing the initial window size, for at most %v, and reads every acknowledgement (Settings flood, CVE-2019-9515).",
			h2SettingsFrames, h2SettingsGiveUp),
		Expect: "keeps serving other clients during the flood (HTTP/2 gives no grounds to refuse SETTINGS; the cost is CPU)",
		Run: attackH2(func(ctx context.Context, s *server, b Bounds) Outcome {
			ctx, cancel := context.WithTimeout(ctx, h2SettingsGiveUp)
			defer cancel()
			c, err := s.dialH2(ctx, h2Dial{ackPings: true})
			if err != nil {
				return noH2(err)
			}
			frames := 0
			legit := s.whileLegitH2(ctx, func() {
				frames = c.flood(ctx, b.scaled(h2SettingsFrames), func(fr *http2.Framer, i int) (int, error) {
					return 1, fr.WriteSettings(
						http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow - uint32(i%2)},
						http2.Setting{ID: http2.SettingHeaderTableSize, Val: 4096 - uint32(i%2)},
					)
				})
				c.drain(ctx, h2Settle)
			})
			c.close()

			o := h2Outcome(c, frames, legit)
			o.Defended = servedLegit(legit)
			o.Summary = fmt.Sprintf("%s; %d SETTINGS sent, %d acknowledged; %s",
				c.ending("connection kept open"), frames, c.settingsAcks, legitFigure(legit))
			return o
		}),
	}
}
