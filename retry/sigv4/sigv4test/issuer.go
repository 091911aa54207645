// Package sigv4test is an in-process stand-in for a SigV4 service's
// credential issuer and its signature check, for tests of clients that
// sign with package sigv4 or any other SigV4 signer over loopback.
//
// An [Issuer] hands out session credentials (as an STS, IRSA or Vault
// provider would) and its [Issuer.Check] middleware rejects requests the
// way S3 does, with an S3 XML error body: 400 ExpiredToken for a session
// that has ended, 403 SignatureDoesNotMatch, InvalidAccessKeyId or
// RequestTimeTooSkewed, 400 XAmzContentSHA256Mismatch. Sessions expire when the test says so
// ([Issuer.Expire]), never by wall-clock time, so tests stay
// deterministic on a loaded machine.
package sigv4test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Issuer issues session credentials and checks requests signed with
// them. Build one with [NewIssuer]; it is safe for concurrent use and
// holds no goroutines.
type Issuer struct {
	region, service string
	now             func() time.Time

	mu       sync.Mutex
	sessions map[string]*session // by access key ID
	fetches  int
	rejected map[string]int // by S3 error code
}

type session struct {
	secret, token string
	expired       bool
}

// NewIssuer returns an Issuer whose checks accept signatures scoped to
// region and service, dated within 15 minutes of now (nil: time.Now), as
// AWS accepts.
func NewIssuer(region, service string, now func() time.Time) *Issuer {
	if now == nil {
		now = time.Now
	}
	return &Issuer{region: region, service: service, now: now, sessions: make(map[string]*session), rejected: make(map[string]int)}
}

// Retrieve implements [aws.CredentialsProvider]: every call issues a new
// session, valid until [Issuer.Expire], and counts one fetch. Its
// credentials carry no expiry time, since sessions end only when the test
// expires them.
func (i *Issuer) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if err := ctx.Err(); err != nil {
		return aws.Credentials{}, err
	}
	s := &session{secret: randomHex(20), token: randomHex(32)}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.fetches++
	id := fmt.Sprintf("ASIATEST%08d", i.fetches)
	i.sessions[id] = s
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: s.secret, SessionToken: s.token, Source: "sigv4test"}, nil
}

// Expire ends every session issued so far: requests signed with them are
// rejected with 403 ExpiredToken from now on.
func (i *Issuer) Expire() {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, s := range i.sessions {
		s.expired = true
	}
}

// Fetches returns how many times credentials were retrieved.
func (i *Issuer) Fetches() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.fetches
}

// Rejected returns how many requests [Issuer.Check] rejected with the S3
// error code ("ExpiredToken").
func (i *Issuer) Rejected(code string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.rejected[code]
}

func (i *Issuer) lookup(id string) (session, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	s, ok := i.sessions[id]
	if !ok {
		return session{}, false
	}
	return *s, true
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
