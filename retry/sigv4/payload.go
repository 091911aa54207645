package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

const (
	// UnsignedPayload is the payload hash of a body that is not signed.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// emptySHA256 is the hex SHA-256 of no bytes.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// chunkSigned prefixes the payload hashes of chunk-signed streams
	// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD and its -TRAILER variant).
	chunkSigned = "STREAMING-AWS4-HMAC-SHA256-"
)

// ErrChunkSigned is returned by Authorize for a request whose
// X-Amz-Content-Sha256 announces a chunk-signed stream, whose chunk
// signatures a new signature would invalidate.
var ErrChunkSigned = errors.New("sigv4: chunk-signed streaming payloads cannot be re-signed; send UNSIGNED-PAYLOAD or a hash")

// payloadHash returns the hash to sign req's body with, in the order the
// package documentation gives.
func payloadHash(req *http.Request) (string, error) {
	if h := strings.TrimSpace(req.Header.Get(headerContentSHA256)); h != "" {
		if strings.HasPrefix(h, chunkSigned) {
			return "", ErrChunkSigned
		}
		return h, nil
	}
	if req.Body == nil || req.Body == http.NoBody {
		return emptySHA256, nil
	}
	if req.GetBody == nil {
		return UnsignedPayload, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return "", fmt.Errorf("sigv4: re-reading the body to hash it: %w", err)
	}
	defer body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, body); err != nil {
		return "", fmt.Errorf("sigv4: hashing the body: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
