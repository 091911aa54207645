package sigv4

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/harden-go/harden/internal/flight"
)

// cache holds the current credentials, replaced by one fetch at a time.
type cache struct {
	provider aws.CredentialsProvider
	early    time.Duration
	now      func() time.Time
	creds    flight.Value[aws.Credentials]

	// kept are credentials whose early renewal got them back (the
	// provider caches too): they are then used until they expire or are
	// rejected, instead of asking again on every request.
	mu   sync.Mutex
	kept aws.Credentials
}

// get returns credentials to sign with now. Missing or expired ones are
// fetched (every caller waits for that one fetch); ones due for renewal
// are renewed by the first caller to see them, which keeps the old ones
// if that fails, while the others sign with the old ones meanwhile.
func (c *cache) get(ctx context.Context) (aws.Credentials, error) {
	now := c.now()
	cur, has, busy := c.creds.Load()
	valid := has && (!cur.CanExpire || now.Before(cur.Expires))
	due := valid && cur.CanExpire && !now.Before(cur.Expires.Add(-c.early)) && !c.isKept(cur)
	switch {
	case valid && (!due || busy):
		return cur, nil
	case valid:
		fresh, err := c.renew(ctx, func(got aws.Credentials, has bool) bool { return !has || same(got, cur) })
		if err != nil {
			return cur, nil
		}
		if same(fresh, cur) {
			c.mu.Lock()
			c.kept = cur
			c.mu.Unlock()
		}
		return fresh, nil
	}
	return c.renew(ctx, func(got aws.Credentials, has bool) bool {
		return !has || got.CanExpire && !c.now().Before(got.Expires)
	})
}

func (c *cache) isKept(creds aws.Credentials) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return same(c.kept, creds)
}

// renew fetches new credentials from the provider if stale(current) holds,
// joining a fetch already in flight instead of starting another (see
// [flight.Value]).
func (c *cache) renew(ctx context.Context, stale func(cur aws.Credentials, has bool) bool) (aws.Credentials, error) {
	return c.creds.Replace(ctx, stale, c.provider.Retrieve)
}

// same reports whether a and b are the same credentials.
func same(a, b aws.Credentials) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SessionToken == b.SessionToken
}
