package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

const (
	// h2FloodGiveUp bounds every HTTP/2 flood in time; each is bounded in
	// frames too.
	h2FloodGiveUp = 5 * time.Second
	// h2Settle is how long a scenario lets the server act on a flood
	// once it is sent, before it reads the measurements.
	h2Settle = 500 * time.Millisecond
	// legitSlack is how many of the handlers counted at a peak may be the
	// legitimate client's, which sends one request at a time.
	legitSlack = 1
)

// attackH2 is attack for the HTTP/2 scenarios: the fresh server is behind
// TLS, and the CPU time the process used while body ran is recorded.
func attackH2(body func(ctx context.Context, s *server, b Bounds) Outcome) func(context.Context, Target, Bounds) Outcome {
	return func(ctx context.Context, t Target, b Bounds) Outcome {
		s, err := startTLS(t, b)
		if err != nil {
			return Outcome{Summary: "could not start", Err: err.Error()}
		}
		defer s.close()
		before, ok := processCPU()
		o := body(ctx, s, b)
		if after, ok2 := processCPU(); ok && ok2 && o.Err == "" {
			o.ProcessCPU = after - before
			o.Summary += fmt.Sprintf("; process CPU %.2fs", o.ProcessCPU.Seconds())
		}
		o.PeakConns = s.ln.Peak()
		o.PeakHandlers = s.h.Peak()
		return o
	}
}

// noH2 is the outcome of a scenario whose attacking connection could not
// speak HTTP/2 to the target.
func noH2(err error) Outcome {
	return Outcome{Summary: "no HTTP/2 connection", Err: fmt.Sprintf("the attacking HTTP/2 connection could not be made: %v", err)}
}

// whileLegitH2 is whileLegit for an HTTP/2 server: the legitimate client
// speaks HTTP/2 over TLS (trusting the scenario certificate) and keeps
// its one connection to each server alive, as HTTP/2 clients do, apart
// from the attacker's; it is connected before the attack begins, as a
// client already talking to the server is.
func (s *server) whileLegitH2(ctx context.Context, attack func()) probed {
	return s.probe(ctx, func(srv *server) (*http.Client, func()) {
		tr := &http.Transport{TLSClientConfig: srv.clientTLS.Clone(), ForceAttemptHTTP2: true, DialContext: dialAsOtherClient}
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetHTTP2(true)
		return &http.Client{Transport: tr, Timeout: requestTimeout}, tr.CloseIdleConnections
	}, attack)
}

// h2Outcome fills in the figures every HTTP/2 scenario reports: how the
// server ended the connection, the frames sent, the bytes the server read
// from the attacking connection (TLS records included) and what the
// legitimate client experienced. Call it after c.close.
func h2Outcome(c *h2conn, frames int, legit probed) Outcome {
	o := Outcome{
		GoAway:          c.goAwayCode(),
		FramesSent:      frames,
		ServerBytesRead: c.serverRead(),
	}
	o.setLegit(legit)
	o.TimeToClose, _ = c.reaction()
	return o
}

// ending describes how the server ended the attacking connection, or that
// it left it open.
func (c *h2conn) ending(open string) string {
	after, ok := c.reaction()
	switch code := c.goAwayCode(); {
	case code != "":
		return fmt.Sprintf("GOAWAY %s after %s", code, secs(after))
	case ok:
		return fmt.Sprintf("closed after %s without GOAWAY", secs(after))
	}
	return open
}

// legitFigure describes what the legitimate client experienced, of the
// attacked server and of its unattacked twin.
func legitFigure(p probed) string {
	s := fmt.Sprintf("legit %d/%d lost, p99 %s", p.lost, p.sent, millis1(p.p99()))
	if p.firstLoss != nil {
		s += " (first: " + lossReason(p.firstLoss) + ")"
	}
	switch {
	case p.twinErr != nil:
		s += " (no unattacked twin: " + p.twinErr.Error() + ")"
	case p.twin.lost > 0:
		s += fmt.Sprintf(" (unattacked twin %d/%d lost, p99 %s)", p.twin.lost, p.twin.sent, millis1(p.twin.p99()))
	default:
		s += " (unattacked twin " + millis1(p.twin.p99()) + ")"
	}
	return s
}

// servedLegit reports whether the legitimate client was served
// throughout by the attacked server.
func servedLegit(p probed) bool { return p.sent > 0 && p.lost == 0 }

// resetFigure lists the server's stream resets by error code:
// "1000 reset (STREAM_CLOSED 500, FLOW_CONTROL_ERROR 500)".
func (c *h2conn) resetFigure() string {
	counts := c.resetCounts()
	total := 0
	parts := make([]string, 0, len(counts))
	for code, n := range counts {
		total += n
		parts = append(parts, fmt.Sprintf("%s %d", code, n))
	}
	if total == 0 {
		return "none reset"
	}
	slices.Sort(parts)
	return fmt.Sprintf("%d reset (%s)", total, strings.Join(parts, ", "))
}
