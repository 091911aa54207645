package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"
)

const (
	headerBombFactor = 2
	headerBombPiece  = 16 << 10
	headerBombGiveUp = 10 * time.Second
)

// headerBomb sends a header block twice the limit, made of many small
// headers so no single line looks abnormal.
func headerBomb() Scenario {
	return Scenario{
		Name: "header-bomb",
		Description: fmt.Sprintf("A GET whose header block is %d x max_header, made of many small headers.",
			headerBombFactor),
		Expect: "answers 431 Request Header Fields Too Large",
		Run: attack(func(ctx context.Context, s *server, b Bounds) Outcome {
			block := headerBlock(headerBombFactor * b.MaxHeaderBytes)
			// The block goes out in pieces, so the attacker stops sending
			// as soon as the server has answered.
			o := s.send(ctx, headerBombGiveUp, nil, pieces(block, headerBombPiece), func(p *probe) bool {
				return p.status == http.StatusRequestHeaderFieldsTooLarge
			})
			o.Summary += fmt.Sprintf(" (header block %s)", size(int64(len(block))))
			return o
		}),
	}
}

// headerBlock returns a whole request whose head is at least n bytes long.
func headerBlock(n int64) []byte {
	var buf bytes.Buffer
	buf.WriteString("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	for i := 0; int64(buf.Len()) < n; i++ {
		fmt.Fprintf(&buf, "X-Bomb-%05d: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", i)
	}
	buf.WriteString("\r\n")
	return buf.Bytes()
}
