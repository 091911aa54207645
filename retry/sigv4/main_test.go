package sigv4_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/goleak"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/servertest"
	"github.com/harden-go/harden/retry"
	"github.com/harden-go/harden/retry/sigv4"
	"github.com/harden-go/harden/retry/sigv4/sigv4test"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type mode = servertest.Mode

var testConfig = sigv4.Config{Region: "us-east-1", Service: "s3"}

func newAuth(t testing.TB, cfg sigv4.Config, p aws.CredentialsProvider, opts ...sigv4.Option) *sigv4.Authenticator {
	t.Helper()
	a, err := sigv4.New(cfg, p, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// client returns an http.Client whose retry.Transport signs with a and
// retries at once, without a budget, through a fresh pool for srv.
func client(t testing.TB, base *http.Transport, a retry.Authenticator) *http.Client {
	t.Helper()
	base = base.Clone()
	t.Cleanup(base.CloseIdleConnections)
	p := retry.Policy{InitialBackoff: harden.Millisecond, MaxBackoff: harden.Millisecond, Jitter: -1,
		Budget: retry.BudgetConfig{Ratio: -1}}
	tr, err := retry.NewTransport(base, p, retry.WithAuthenticator(a))
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// counting is a credentials provider whose every fetch returns new
// credentials expiring ttl after now() (never, for ttl 0). A non-nil gate
// holds each fetch until it is sent a value.
type counting struct {
	now     func() time.Time
	ttl     time.Duration
	gate    chan struct{}
	fetches atomic.Int64
	same    bool // hand back the first credentials on every fetch
	once    sync.Once
	first   aws.Credentials
}

func (c *counting) Retrieve(ctx context.Context) (aws.Credentials, error) {
	n := c.fetches.Add(1)
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return aws.Credentials{}, ctx.Err()
		}
	}
	creds := aws.Credentials{AccessKeyID: "AKID" + string(rune('A'+n-1)), SecretAccessKey: "secret", SessionToken: "token"}
	if c.ttl > 0 {
		creds.CanExpire, creds.Expires = true, c.now().Add(c.ttl)
	}
	if c.same {
		c.once.Do(func() { c.first = creds })
		return c.first, nil
	}
	return creds, nil
}

// signedKey returns the access key ID req was signed with.
func signedKey(t testing.TB, req *http.Request) string {
	t.Helper()
	a, err := sigv4test.ParseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		t.Fatalf("Authorization %q: %v", req.Header.Get("Authorization"), err)
	}
	return a.AccessKeyID
}
