package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"
)

const (
	// oversizeFactor is how far past the body limit the attacker goes.
	oversizeFactor = 10
	// oversizeSlack is how much a server may read past the body limit
	// before answering, for its read buffers.
	oversizeSlack = 64 << 10
	oversizePiece = 32 << 10
	// oversizeGiveUp bounds the attack; loopback carries ten bodies of
	// any sensible limit well within it.
	oversizeGiveUp = 15 * time.Second
)

// oversizedBodyCL announces a body ten times the limit and sends it.
func oversizedBodyCL() Scenario {
	return Scenario{
		Name: "oversized-body-cl",
		Description: fmt.Sprintf("A POST /upload whose Content-Length is %d x max_body, followed by the body at full speed.",
			oversizeFactor),
		Expect: "answers 413 before reading more than max_body + 64KiB",
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			total := oversizeFactor * b.MaxBodyBytes
			head := fmt.Appendf(nil, "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", total)
			piece := bytes.Repeat([]byte{'x'}, oversizePiece)
			return s.upload(ctx, head, func(i int) []byte {
				sent := int64(i) * oversizePiece
				if sent >= total {
					return nil
				}
				return piece[:min(oversizePiece, total-sent)]
			}, func(p *probe) bool {
				return p.status == http.StatusRequestEntityTooLarge && p.readAtAnswer <= b.MaxBodyBytes+oversizeSlack
			})
		}),
	}
}

// oversizedBodyChunked streams a chunked body past the limit, so the
// server cannot refuse it from the headers alone.
func oversizedBodyChunked() Scenario {
	return Scenario{
		Name: "oversized-body-chunked",
		Description: fmt.Sprintf("A POST /upload with Transfer-Encoding: chunked streams %d x max_body, so no Content-Length gives the size away.",
			oversizeFactor),
		Expect: "answers 413 once the body passes max_body",
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			total := oversizeFactor * b.MaxBodyBytes
			chunks := int((total + oversizePiece - 1) / oversizePiece)
			head := []byte("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
			chunk := fmt.Appendf(nil, "%x\r\n%s\r\n", oversizePiece, bytes.Repeat([]byte{'x'}, oversizePiece))
			return s.upload(ctx, head, func(i int) []byte {
				switch {
				case i < chunks:
					return chunk
				case i == chunks:
					return []byte("0\r\n\r\n")
				}
				return nil
			}, func(p *probe) bool {
				return p.status == http.StatusRequestEntityTooLarge
			})
		}),
	}
}

// upload is send for a request body, with the bytes the server read in
// the summary.
func (s *server) upload(ctx context.Context, head []byte, body func(i int) []byte, defended func(*probe) bool) Outcome {
	o := s.send(ctx, oversizeGiveUp, head, body, defended)
	o.Summary += ", server read " + size(o.ServerBytesRead)
	return o
}

// send sends head and then the pieces of a request as fast as the server
// takes them, stopping at the server's answer or after giveUp, and judges
// the answer.
func (s *server) send(ctx context.Context, giveUp time.Duration, head []byte, pieces func(i int) []byte, defended func(*probe) bool) Outcome {
	ctx, cancel := context.WithTimeout(ctx, giveUp)
	defer cancel()
	c := s.crowd(ctx, 1, func(p *probe) { p.trickle(ctx, head, 0, pieces) })
	c.waitSettled(ctx)
	c.close()
	return answerOutcome(c, giveUp, defended)
}
