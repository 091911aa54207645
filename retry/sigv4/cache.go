package sigv4

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// cache holds the current credentials and lets one fetch at a time
// replace them.
type cache struct {
	provider aws.CredentialsProvider
	early    time.Duration
	now      func() time.Time

	mu       sync.Mutex
	cur      aws.Credentials
	has      bool
	inflight *fetch
	// kept is set when an early renewal of cur got cur back (the
	// provider caches too): cur is then used until it expires or is
	// rejected, instead of asking again on every request.
	kept bool
}

// fetch is one call of the provider that other callers may wait on.
type fetch struct {
	done     chan struct{}
	creds    aws.Credentials
	err      error
	ctxEnded bool // it failed because its caller's context ended
}

// get returns credentials to sign with now. Missing or expired ones are
// fetched (every caller waits for that one fetch); ones due for renewal
// are renewed by the first caller to see them, which keeps the old ones
// if that fails, while the others sign with the old ones meanwhile.
func (c *cache) get(ctx context.Context) (aws.Credentials, error) {
	now := c.now()
	c.mu.Lock()
	cur, has, busy, kept := c.cur, c.has, c.inflight != nil, c.kept
	c.mu.Unlock()

	valid := has && (!cur.CanExpire || now.Before(cur.Expires))
	due := valid && !kept && cur.CanExpire && !now.Before(cur.Expires.Add(-c.early))
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
			c.kept = same(c.cur, cur)
			c.mu.Unlock()
		}
		return fresh, nil
	}
	return c.renew(ctx, func(got aws.Credentials, has bool) bool {
		return !has || got.CanExpire && !c.now().Before(got.Expires)
	})
}

// same reports whether a and b are the same credentials.
func same(a, b aws.Credentials) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SessionToken == b.SessionToken
}

// renew fetches new credentials if stale(current) holds, joining a fetch
// already in flight instead of starting another. A joined fetch that
// failed only because its own caller went away is not this caller's
// failure: it tries again, at most maxJoins times, then fetches itself.
func (c *cache) renew(ctx context.Context, stale func(cur aws.Credentials, has bool) bool) (aws.Credentials, error) {
	for range maxJoins {
		c.mu.Lock()
		f := c.inflight
		if f == nil {
			return c.fetchLocked(ctx, stale)
		}
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return aws.Credentials{}, ctx.Err()
		}
		if !f.ctxEnded {
			return f.creds, f.err
		}
	}
	c.mu.Lock()
	return c.fetchLocked(ctx, stale)
}

const maxJoins = 3

// fetchLocked is called with c.mu held and releases it.
func (c *cache) fetchLocked(ctx context.Context, stale func(cur aws.Credentials, has bool) bool) (aws.Credentials, error) {
	if !stale(c.cur, c.has) {
		cur := c.cur
		c.mu.Unlock()
		return cur, nil
	}
	f := &fetch{done: make(chan struct{})}
	c.inflight = f
	c.mu.Unlock()

	f.creds, f.err = c.provider.Retrieve(ctx)
	f.ctxEnded = f.err != nil && ctx.Err() != nil

	c.mu.Lock()
	if f.err == nil {
		c.cur, c.has, c.kept = f.creds, true, false
	}
	if c.inflight == f {
		c.inflight = nil
	}
	c.mu.Unlock()
	close(f.done)
	return f.creds, f.err
}
