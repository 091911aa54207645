package retry

import (
	"container/list"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/harden-go/harden/internal/flight"
)

// Authenticator puts credentials on outgoing requests and renews them when
// the server rejects them. A [Transport] calls Authorize on every attempt,
// on a clone of the caller's request whose headers it may set, and Renew at
// most once per request, after an attempt was classified [AuthExpired];
// the request is then resent once. Implementations must be safe for
// concurrent use.
type Authenticator interface {
	// Authorize sets credentials on req, typically its Authorization
	// header. An error ends the request with that error, unsent. The
	// Transport does not call it for a redirect to another origin.
	Authorize(req *http.Request) error

	// Renew replaces the credentials that rejected carried. It is given
	// the attempt that was rejected, so that an implementation can skip
	// the renewal when another request has already replaced them.
	Renew(ctx context.Context, rejected *http.Request) error
}

// Token is a credential fetched by [TokenAuth].
type Token struct {
	// Value is the credential, sent as "Authorization: <Type> <Value>".
	Value string
	// Type is the authorization scheme. Empty: "Bearer".
	Type string
	// Expiry is when the token stops being valid. Zero: it does not
	// expire by time and is replaced only when a server rejects it.
	Expiry time.Time
}

func (t Token) header() string {
	typ := t.Type
	if typ == "" {
		typ = "Bearer"
	}
	return typ + " " + t.Value
}

type keyCtx struct{}

// WithKey returns a context whose requests [TokenAuth] authorizes with the
// credentials cached under key, typically a tenant ID. Requests without a
// key use the key "".
func WithKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyCtx{}, key)
}

func keyFrom(ctx context.Context) string {
	k, _ := ctx.Value(keyCtx{}).(string)
	return k
}

// TokenOption configures [TokenAuth].
type TokenOption interface {
	applyToken(*tokenAuth)
}

type tokenOptionFunc func(*tokenAuth)

func (f tokenOptionFunc) applyToken(a *tokenAuth) { f(a) }

// WithCacheSize bounds how many keys' tokens are cached; the least
// recently used is evicted beyond it. Zero or negative: 10,000, enough for
// every tenant of a large multi-tenant service while bounding memory when
// keys come from requests.
func WithCacheSize(n int) TokenOption {
	return tokenOptionFunc(func(a *tokenAuth) {
		if n > 0 {
			a.size = n
		}
	})
}

// WithRenewBefore sets how long before its Expiry a token is renewed. The
// first request to see a token inside this window fetches a new one while
// every other request keeps using the old, still valid, token, so expiry
// never stalls traffic. The window never exceeds half the token's lifetime
// as seen when it was fetched, so a token shorter-lived than the window
// still serves many requests. Zero or negative: 30s, longer than one
// typical client timeout, so a token is not sent while it expires in
// flight.
func WithRenewBefore(d time.Duration) TokenOption {
	return tokenOptionFunc(func(a *tokenAuth) {
		if d > 0 {
			a.early = d
		}
	})
}

const (
	defaultCacheSize   = 10000
	defaultRenewBefore = 30 * time.Second
)

// TokenAuth returns an [Authenticator] that sends "Authorization: Bearer
// <token>" with a token from fetch, cached per key ([WithKey]). fetch is
// called with the context of the request that needs the token and the
// key; its errors are returned to that request (and to requests waiting on
// the same fetch) and never cached, so the next request tries again.
//
// At most one fetch per key runs at a time: requests that need a token
// while one is being fetched wait for it. Renew compares the token the
// rejected request carried with the cached one and fetches only if they
// are the same (compare-and-swap), so when 200 requests are rejected with
// one expired token, one fetch replaces it and the others resend with the
// new token. Tokens are renewed early, before Expiry (see
// [WithRenewBefore]). A fixed early window alone would renew a token that
// lives shorter than the window on every request: x/oauth2's fixed 10s
// expiryDelta has that flaw for tokens under 10s (golang/oauth2#249 and
// golang/oauth2#481 ask for a configurable one instead). Bounding the
// window by half the lifetime observed at fetch time keeps one fetch per
// half-lifetime whatever the issuer hands out.
//
// Trust model: the [Transport] attaches the token to every attempt of a
// request and to redirects that http.Client follows within the same
// origin (scheme, host and port); a redirect to any other origin is sent
// without it. Use one Transport (and one TokenAuth) per API.
//
// The returned Authenticator is safe for concurrent use. It holds no
// goroutines.
func TokenAuth(fetch func(ctx context.Context, key string) (Token, error), opts ...TokenOption) Authenticator {
	a := &tokenAuth{fetch: fetch, size: defaultCacheSize, early: defaultRenewBefore, now: time.Now,
		entries: make(map[string]*list.Element), lru: list.New()}
	for _, o := range opts {
		if o != nil {
			o.applyToken(a)
		}
	}
	return a
}

type tokenAuth struct {
	fetch func(ctx context.Context, key string) (Token, error)
	size  int
	early time.Duration
	now   func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // of *tokenEntry
	lru     *list.List               // front: most recently used
}

type tokenEntry struct {
	key string
	tok flight.Value[stamped]
}

// stamped is a token and when it arrived, by tokenAuth.now: the early
// renewal window is bounded by the lifetime the token had then.
type stamped struct {
	Token
	at time.Time
}

var errNoFetch = errors.New("retry: TokenAuth has no fetch function")

func (a *tokenAuth) entry(key string) *tokenEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	if el, ok := a.entries[key]; ok {
		a.lru.MoveToFront(el)
		return el.Value.(*tokenEntry)
	}
	e := &tokenEntry{key: key}
	a.entries[key] = a.lru.PushFront(e)
	for a.lru.Len() > a.size {
		old := a.lru.Back()
		a.lru.Remove(old)
		delete(a.entries, old.Value.(*tokenEntry).key)
	}
	return e
}

// Authorize implements [Authenticator].
func (a *tokenAuth) Authorize(req *http.Request) error {
	ctx := req.Context()
	e := a.entry(keyFrom(ctx))
	now := a.now()

	st, has, busy := e.tok.Load()
	tok := st.Token
	valid := has && (tok.Expiry.IsZero() || now.Before(tok.Expiry))
	fresh := valid && (tok.Expiry.IsZero() || now.Before(tok.Expiry.Add(-min(a.early, tok.Expiry.Sub(st.at)/2))))

	switch {
	case fresh, valid && busy:
		// Fresh, or due for renewal that another request is doing.
	case valid:
		// Due for renewal: this request renews, and keeps the old token if
		// that fails, since it is still valid.
		if t, err := a.renew(ctx, e, func(cur Token, has bool) bool { return !has || cur == tok }); err == nil {
			tok = t
		}
	default:
		t, err := a.renew(ctx, e, func(cur Token, has bool) bool {
			return !has || !cur.Expiry.IsZero() && !a.now().Before(cur.Expiry)
		})
		if err != nil {
			return err
		}
		tok = t
	}
	req.Header.Set("Authorization", tok.header())
	return nil
}

// Renew implements [Authenticator]. It fetches only if the cached token is
// still the one rejected carried; an attempt that carried no credential
// (a redirect to another origin) renews nothing.
func (a *tokenAuth) Renew(ctx context.Context, rejected *http.Request) error {
	sent := rejected.Header.Get("Authorization")
	if sent == "" {
		return nil
	}
	e := a.entry(keyFrom(rejected.Context()))
	_, err := a.renew(ctx, e, func(cur Token, has bool) bool {
		return !has || cur.header() == sent
	})
	return err
}

// renew fetches a new token for e if stale(current) holds, joining a fetch
// already in flight instead of starting another (see [flight.Value]).
func (a *tokenAuth) renew(ctx context.Context, e *tokenEntry, stale func(cur Token, has bool) bool) (Token, error) {
	s, err := e.tok.Replace(ctx, func(cur stamped, has bool) bool { return stale(cur.Token, has) },
		func(ctx context.Context) (stamped, error) {
			if a.fetch == nil {
				return stamped{}, errNoFetch
			}
			t, err := a.fetch(ctx, e.key)
			return stamped{t, a.now()}, err
		})
	return s.Token, err
}
