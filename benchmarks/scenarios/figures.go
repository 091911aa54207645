package scenarios

import (
	"fmt"
	"mime"
	"time"
)

// secs prints d in seconds with one decimal, the precision the scorecard
// reads at: "1.0s".
func secs(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// millis1 prints d in milliseconds with one decimal, for latencies
// below a few milliseconds: "1.4ms".
func millis1(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// size prints n bytes in the largest binary unit below it: "312 B",
// "64.0 KiB", "10.0 MiB".
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// mediaType returns the media type of a Content-Type value without its
// parameters, or "" when it cannot be parsed.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// closeOutcome judges a crowd that the server should have closed, every
// connection within limit; giveUp is when the scenario stopped waiting.
// Call it after c.close.
func (c *crowd) closeOutcome(limit, giveUp time.Duration) Outcome {
	n := len(c.probes) + c.refused
	if len(c.probes) == 0 {
		return Outcome{Summary: "no connection", Err: fmt.Sprintf("no attacking connection could be made: %v", c.dialErr)}
	}
	closed := c.refused
	var slowest time.Duration
	for _, p := range c.probes {
		if p.closedByServer {
			closed++
			slowest = max(slowest, p.closedAfter)
		}
	}
	o := Outcome{
		Defended:    closed == n && slowest <= limit,
		TimeToClose: slowest,
	}
	switch {
	case closed == n:
		o.Summary = fmt.Sprintf("all %d closed, last after %s", n, secs(slowest))
	case closed == 0:
		o.Summary = fmt.Sprintf("%d/%d open at give-up (%s)", n, n, secs(giveUp))
	default:
		o.Summary = fmt.Sprintf("%d/%d closed (last after %s), %d open at give-up (%s)", closed, n, secs(slowest), n-closed, secs(giveUp))
	}
	if c.refused > 0 {
		o.Summary += fmt.Sprintf(", %d refused", c.refused)
	}
	return o
}

// answerOutcome describes how the server reacted to a single probe, with
// the bytes it read. defended judges the reaction. Call it after the
// probe's crowd is closed.
func answerOutcome(c *crowd, giveUp time.Duration, defended func(p *probe) bool) Outcome {
	p := c.one()
	if p == nil {
		return Outcome{Summary: "no connection", Err: fmt.Sprintf("the attacking connection could not be made: %v", c.dialErr)}
	}
	o := Outcome{
		Defended:        defended(p),
		Status:          p.status,
		ServerBytesRead: p.srv.ln.BytesRead(),
	}
	after, reacted := p.reaction()
	switch {
	case p.status != 0:
		o.ServerBytesRead = p.readAtAnswer
		o.Summary = fmt.Sprintf("%d after %s", p.status, secs(after))
	case reacted:
		o.Summary = fmt.Sprintf("closed after %s, no answer", secs(after))
	default:
		o.Summary = fmt.Sprintf("no answer, open at give-up (%s)", secs(giveUp))
	}
	o.TimeToClose = after
	return o
}
