package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/configerr"
	"github.com/harden-go/harden/retry"
)

// Config says what requests are signed for. It can be written in a config
// file; fields are named by their keys under "sigv4".
type Config struct {
	// Region is the AWS region in the credential scope ("us-east-1"). S3
	// compatible servers accept whatever region they are configured with,
	// often "us-east-1". Required.
	Region string `yaml:"region" json:"region"`

	// Service is the signing name of the service ("s3", "execute-api").
	// For "s3" the path is signed as sent, without SigV4's second
	// URI-encoding, as S3 requires. Required.
	Service string `yaml:"service" json:"service"`

	// RenewBefore is how long before their expiry credentials are
	// renewed; the first request to see them due fetches new ones while
	// the others keep signing with the old, still valid, ones. Zero: 5m,
	// a third of the shortest session STS issues (900s) and longer than
	// any single request, so credentials never expire in flight.
	// Negative: renewed only once expired or rejected.
	RenewBefore harden.Duration `yaml:"renew_before" json:"renew_before"`
}

const defaultRenewBefore = 5 * harden.Minute

var errNoProvider = errors.New("sigv4: nil credentials provider")

// Validate reports every problem of c at once, as *[harden.ConfigError] values
// joined with errors.Join.
func (c Config) Validate() error {
	return errors.Join(c.problems()...)
}

func (c Config) problems() []error {
	ps := &configerr.Problems{Prefix: "sigv4."}
	if strings.TrimSpace(c.Region) == "" {
		ps.Add("region", harden.RuleRequired, "is empty; set the region of the credential scope, such as us-east-1")
	}
	if strings.TrimSpace(c.Service) == "" {
		ps.Add("service", harden.RuleRequired, "is empty; set the service's signing name, such as s3")
	}
	return ps.Errs()
}

// Authenticator is a [retry.Authenticator] that signs each attempt with
// SigV4 using credentials from an [aws.CredentialsProvider], renewing them
// as described in the package documentation. Build one with [New]. It is
// safe for concurrent use and holds no goroutines.
type Authenticator struct {
	cfg    Config
	signer *v4.Signer
	creds  *cache
	now    func() time.Time
}

var _ retry.Authenticator = (*Authenticator)(nil)

// Header names set by Authorize.
const (
	headerContentSHA256 = "X-Amz-Content-Sha256"
	headerSecurityToken = "X-Amz-Security-Token"
)

// New returns an Authenticator for cfg that fetches credentials from
// provider. provider is called with the context of the request that needs
// credentials, at most once at a time; its errors are returned to that
// request (and to the requests waiting on the same fetch) and never
// cached. Pass a bare provider (stscreds, a Vault client), not one wrapped
// in aws.CredentialsCache: the Authenticator caches itself and must see
// each fetch to renew on a rejection. New refuses a cfg that
// [Config.Validate] rejects and a nil provider.
func New(cfg Config, provider aws.CredentialsProvider, opts ...Option) (*Authenticator, error) {
	errs := cfg.problems()
	if provider == nil {
		errs = append(errs, errNoProvider)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.RenewBefore == 0 {
		cfg.RenewBefore = defaultRenewBefore
	}
	o := options{now: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	s3 := cfg.Service == "s3"
	signer := v4.NewSigner(func(so *v4.SignerOptions) {
		// S3 signs the path as sent (the SDK's S3 client sets the same).
		so.DisableURIPathEscaping = s3
	})
	return &Authenticator{
		cfg:    cfg,
		signer: signer,
		creds:  &cache{provider: provider, early: max(cfg.RenewBefore.Std(), 0), now: o.now},
		now:    o.now,
	}, nil
}

// Authorize implements [retry.Authenticator]: it signs req with the
// current credentials, fetching them first if there are none or they
// have expired, and replaces any signature, date and session token req
// already carried. It reads req's body through GetBody to hash it (see
// the package documentation), never req.Body itself.
func (a *Authenticator) Authorize(req *http.Request) error {
	ctx := req.Context()
	creds, err := a.creds.get(ctx)
	if err != nil {
		return fmt.Errorf("sigv4: credentials: %w", err)
	}
	hash, err := payloadHash(req)
	if err != nil {
		return err
	}
	req.Header.Del("Authorization")
	req.Header.Del(headerSecurityToken)
	req.Header.Set(headerContentSHA256, hash)
	if err := a.signer.SignHTTP(ctx, creds, req, hash, a.cfg.Service, a.cfg.Region, a.now()); err != nil {
		return fmt.Errorf("sigv4: signing: %w", err)
	}
	return nil
}

// Renew implements [retry.Authenticator]. It fetches new credentials only
// if the cached ones are those rejected was signed with: the same access
// key and session token. Otherwise another request has already replaced
// them, and the resend signs with those.
func (a *Authenticator) Renew(ctx context.Context, rejected *http.Request) error {
	_, err := a.creds.renew(ctx, func(cur aws.Credentials, has bool) bool {
		return !has || signedWith(rejected, cur)
	})
	if err != nil {
		return fmt.Errorf("sigv4: credentials: %w", err)
	}
	return nil
}

// signedWith reports whether req carries a signature made with creds: its
// Authorization header names creds' access key and its session token is
// creds'. A request that carries no signature counts as signed with
// whatever is cached, so that a rejection always leads to a renewal.
func signedWith(req *http.Request, creds aws.Credentials) bool {
	auth := req.Header.Get("Authorization")
	if auth == "" {
		return true
	}
	return strings.Contains(auth, "Credential="+creds.AccessKeyID+"/") &&
		req.Header.Get(headerSecurityToken) == creds.SessionToken
}
