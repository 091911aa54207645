package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/internal/servertest"
	"github.com/harden-go/harden/retry/sigv4"
	"github.com/harden-go/harden/retry/sigv4/sigv4test"
)

// Every attempt is signed afresh: a resend after a 500 carries its own
// date and passes the server's signature check.
func TestSignsEveryAttempt(t *testing.T) {
	servertest.Run(t, func(t *testing.T, m mode) {
		issuer := sigv4test.NewIssuer("us-east-1", "s3", nil)
		var (
			hits  atomic.Int64
			mu    sync.Mutex
			dates []string
		)
		srv := servertest.NewServer(t, m, issuer.Check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			dates = append(dates, r.Header.Get("X-Amz-Date"))
			mu.Unlock()
			if hits.Add(1) == 1 {
				http.Error(w, "try again", http.StatusInternalServerError)
				return
			}
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		})))
		start := time.Now()
		var ticks atomic.Int64
		clock := func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * time.Second) }
		c := client(t, srv.Client().Transport.(*http.Transport), newAuth(t, testConfig, issuer, sigv4.WithClock(clock)))

		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bucket/a%20key", strings.NewReader("hello"))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "hello" {
			t.Fatalf("got %d %q, want 200 hello", resp.StatusCode, body)
		}
		if hits.Load() != 2 {
			t.Fatalf("%d attempts passed the signature check, want 2", hits.Load())
		}
		if dates[0] == dates[1] {
			t.Fatalf("both attempts were dated %s; each must be signed afresh", dates[0])
		}
		if req.Header.Get("Authorization") != "" {
			t.Fatal("the caller's request was modified")
		}
	})
}

// After the issuer ends the session, the next request is rejected with
// S3's 400 ExpiredToken once, renews, and succeeds on its resend.
func TestRenewsOnExpiredToken(t *testing.T) {
	servertest.Run(t, func(t *testing.T, m mode) {
		issuer := sigv4test.NewIssuer("us-east-1", "s3", nil)
		var rejected atomic.Int64
		srv := servertest.NewServer(t, m, countRejected(&rejected, issuer.Check(okHandler())))
		c := client(t, srv.Client().Transport.(*http.Transport), newAuth(t, testConfig, issuer))

		get(t, c, srv.URL+"/bucket/k")
		issuer.Expire()
		get(t, c, srv.URL+"/bucket/k")
		if got := issuer.Fetches(); got != 2 {
			t.Fatalf("%d credential fetches, want 2", got)
		}
		if got := rejected.Load(); got != 1 {
			t.Fatalf("%d attempts rejected, want 1", got)
		}
	})
}

// 32 requests in flight when the session expires, twice: every request
// succeeds, and each expiry costs one fetch.
func TestConcurrentExpiryFetchesOncePerExpiry(t *testing.T) {
	servertest.Run(t, func(t *testing.T, m mode) {
		issuer := sigv4test.NewIssuer("us-east-1", "s3", nil)
		srv := servertest.NewServer(t, m, issuer.Check(okHandler()))
		c := client(t, srv.Client().Transport.(*http.Transport), newAuth(t, testConfig, issuer))
		get(t, c, srv.URL+"/bucket/warm")
		for expiry := 1; expiry <= 2; expiry++ {
			issuer.Expire()
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() { get(t, c, srv.URL+"/bucket/k") })
			}
			wg.Wait()
			if got, want := issuer.Fetches(), 1+expiry; got != want {
				t.Fatalf("after expiry %d: %d credential fetches, want %d", expiry, got, want)
			}
		}
	})
}

// A rejection of credentials that another request has already replaced
// fetches nothing: the resend signs with the replacement.
func TestRenewSkipsReplacedCredentials(t *testing.T) {
	p := &counting{now: time.Now}
	a := newAuth(t, testConfig, p)
	ctx := context.Background()
	first := signed(t, a, "GET", nil)
	second := signed(t, a, "GET", nil)

	if err := a.Renew(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := a.Renew(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got := p.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches, want 2: one to start, one renewal for both rejections", got)
	}
	if got := signedKey(t, signed(t, a, "GET", nil)); got != "AKIDB" {
		t.Fatalf("signed with %s after renewal, want AKIDB", got)
	}
	// A rejection of the current credentials renews again.
	if err := a.Renew(ctx, signed(t, a, "GET", nil)); err != nil {
		t.Fatal(err)
	}
	if got := p.fetches.Load(); got != 3 {
		t.Fatalf("%d fetches, want 3", got)
	}
}

// Requests that find no credentials, and rejections of the same
// credentials, wait on one fetch.
func TestSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &counting{now: time.Now, gate: make(chan struct{})}
		a := newAuth(t, testConfig, p)
		reqs := make([]*http.Request, 16)
		var wg sync.WaitGroup
		for i := range reqs {
			reqs[i] = newRequest("GET", nil)
			wg.Go(func() {
				if err := a.Authorize(reqs[i]); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait()
		close(p.gate)
		wg.Wait()
		if got := p.fetches.Load(); got != 1 {
			t.Fatalf("%d fetches for 16 requests without credentials, want 1", got)
		}

		p.gate = make(chan struct{})
		for _, r := range reqs {
			wg.Go(func() {
				if err := a.Renew(context.Background(), r); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait()
		close(p.gate)
		wg.Wait()
		if got := p.fetches.Load(); got != 2 {
			t.Fatalf("%d fetches after 16 rejections of the same credentials, want 2", got)
		}
	})
}

// Credentials are renewed RenewBefore their expiry by one request while
// the others keep signing with the old, still valid, ones; expired ones
// are fetched before signing.
func TestRenewsBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &counting{now: time.Now, ttl: 10 * time.Minute, gate: make(chan struct{}, 1)}
		cfg := testConfig
		cfg.RenewBefore = 5 * harden.Minute
		a := newAuth(t, cfg, p)

		p.gate <- struct{}{}
		if got := signedKey(t, signed(t, a, "GET", nil)); got != "AKIDA" {
			t.Fatalf("signed with %s, want AKIDA", got)
		}
		time.Sleep(4 * time.Minute)
		if got := signedKey(t, signed(t, a, "GET", nil)); got != "AKIDA" || p.fetches.Load() != 1 {
			t.Fatalf("before the window: signed with %s after %d fetches, want AKIDA after 1", got, p.fetches.Load())
		}

		time.Sleep(2 * time.Minute) // 4 minutes left: due
		renewing := newRequest("GET", nil)
		done := make(chan error)
		go func() { done <- a.Authorize(renewing) }()
		synctest.Wait() // the renewal is waiting on the provider
		if got := signedKey(t, signed(t, a, "GET", nil)); got != "AKIDA" {
			t.Fatalf("during the renewal: signed with %s, want the still valid AKIDA", got)
		}
		p.gate <- struct{}{}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := signedKey(t, renewing); got != "AKIDB" {
			t.Fatalf("the renewing request signed with %s, want AKIDB", got)
		}

		time.Sleep(11 * time.Minute) // AKIDB has expired
		p.gate <- struct{}{}
		if got := signedKey(t, signed(t, a, "GET", nil)); got != "AKIDC" {
			t.Fatalf("after expiry: signed with %s, want AKIDC", got)
		}
		if got := p.fetches.Load(); got != 3 {
			t.Fatalf("%d fetches, want 3", got)
		}
	})
}

// A provider that caches on its own and hands back the same credentials
// when they are due is not asked again on every request.
func TestRenewEarlyKeepsProviderCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &counting{now: time.Now, ttl: 10 * time.Minute, same: true}
		a := newAuth(t, testConfig, p)
		signed(t, a, "GET", nil)
		time.Sleep(6 * time.Minute)
		for range 5 {
			signed(t, a, "GET", nil)
		}
		if got := p.fetches.Load(); got != 2 {
			t.Fatalf("%d fetches, want 2: the first, and one early renewal that got the same credentials", got)
		}
	})
}

func TestPayloadHash(t *testing.T) {
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	given := sum("given by the caller")
	tests := []struct {
		name   string
		body   io.Reader
		header string
		want   string
		err    error
	}{
		{"no body", nil, "", sum(""), nil},
		{"re-readable body", strings.NewReader("hello"), "", sum("hello"), nil},
		{"stream", io.MultiReader(strings.NewReader("hello")), "", sigv4.UnsignedPayload, nil},
		{"caller's hash", io.MultiReader(strings.NewReader("hello")), given, given, nil},
		{"caller's UNSIGNED-PAYLOAD", strings.NewReader("hello"), sigv4.UnsignedPayload, sigv4.UnsignedPayload, nil},
		{"chunk-signed stream", strings.NewReader("hello"), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "", sigv4.ErrChunkSigned},
	}
	a := newAuth(t, testConfig, &counting{now: time.Now})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest("PUT", tc.body)
			if tc.header != "" {
				req.Header.Set("X-Amz-Content-Sha256", tc.header)
			}
			err := a.Authorize(req)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Authorize: %v, want %v", err, tc.err)
			}
			if got := req.Header.Get("X-Amz-Content-Sha256"); tc.err == nil && got != tc.want {
				t.Fatalf("X-Amz-Content-Sha256 = %q, want %q", got, tc.want)
			}
			if req.Body != nil {
				if b, _ := io.ReadAll(req.Body); tc.body != nil && string(b) != "hello" {
					t.Fatalf("the body left to send is %q, want hello", b)
				}
			}
		})
	}
}

// Bodies reach the server whole and pass its payload check: hashed when
// the Transport can re-read them, UNSIGNED-PAYLOAD when they stream.
func TestPayloadOverTheWire(t *testing.T) {
	big := strings.Repeat("x", 100<<10) // above retry's 64KiB replay buffer
	tests := []struct {
		name     string
		body     func() io.Reader
		wantHash string
	}{
		{"bytes", func() io.Reader { return bytes.NewReader([]byte("hello")) }, "sha256"},
		{"small stream", func() io.Reader { return io.MultiReader(strings.NewReader("hello")) }, sigv4.UnsignedPayload},
		{"large stream", func() io.Reader { return io.MultiReader(strings.NewReader(big)) }, sigv4.UnsignedPayload},
	}
	servertest.Run(t, func(t *testing.T, m mode) {
		issuer := sigv4test.NewIssuer("us-east-1", "s3", nil)
		var gotHash atomic.Value
		srv := servertest.NewServer(t, m, issuer.Check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotHash.Store(r.Header.Get("X-Amz-Content-Sha256"))
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		})))
		c := client(t, srv.Client().Transport.(*http.Transport), newAuth(t, testConfig, issuer))
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				body := tc.body()
				want, _ := io.ReadAll(tc.body())
				req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bucket/k", body)
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
					t.Fatalf("got %d with %d bytes, want 200 with %d", resp.StatusCode, len(got), len(want))
				}
				h := gotHash.Load().(string)
				if tc.wantHash == "sha256" && len(h) != 64 || tc.wantHash != "sha256" && h != tc.wantHash {
					t.Fatalf("payload hash %q, want %s", h, tc.wantHash)
				}
			})
		}
	})
}

// A request already signed (by an SDK) gets a new signature, and loses a
// session token the current credentials do not have.
func TestReplacesExistingSignature(t *testing.T) {
	a := newAuth(t, testConfig, aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDLONG", SecretAccessKey: "secret"}, nil
	}))
	req := newRequest("GET", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=OLD/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	req.Header.Set("X-Amz-Security-Token", "old-session")
	if err := a.Authorize(req); err != nil {
		t.Fatal(err)
	}
	if got := signedKey(t, req); got != "AKIDLONG" {
		t.Fatalf("signed with %s, want AKIDLONG", got)
	}
	if got := req.Header.Values("Authorization"); len(got) != 1 {
		t.Fatalf("%d Authorization headers, want 1", len(got))
	}
	if tok := req.Header.Get("X-Amz-Security-Token"); tok != "" {
		t.Fatalf("X-Amz-Security-Token %q left on the request", tok)
	}
}

func TestNewRefusesInvalidConfig(t *testing.T) {
	_, err := sigv4.New(sigv4.Config{}, nil)
	var fields []string
	for _, ce := range harden.ConfigErrors(err) {
		if ce.Rule != harden.RuleRequired {
			t.Errorf("%s: rule %q, want %q", ce.Field, ce.Rule, harden.RuleRequired)
		}
		fields = append(fields, ce.Field)
	}
	if strings.Join(fields, ",") != "sigv4.region,sigv4.service" || !strings.Contains(err.Error(), "nil credentials provider") {
		t.Fatalf("New(Config{}, nil) = %v; want problems with sigv4.region, sigv4.service and the provider", err)
	}
}

func TestProviderErrorReachesCaller(t *testing.T) {
	boom := errors.New("sts unavailable")
	a := newAuth(t, testConfig, aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, boom
	}))
	if err := a.Authorize(newRequest("GET", nil)); !errors.Is(err, boom) {
		t.Fatalf("Authorize: %v, want %v", err, boom)
	}
	if err := a.Renew(context.Background(), newRequest("GET", nil)); !errors.Is(err, boom) {
		t.Fatalf("Renew: %v, want %v", err, boom)
	}
}

func newRequest(method string, body io.Reader) *http.Request {
	req, err := http.NewRequest(method, "http://127.0.0.1:9000/bucket/key", body)
	if err != nil {
		panic(err)
	}
	return req
}

// signed returns a new request that a has authorized.
func signed(t testing.TB, a *sigv4.Authenticator, method string, body io.Reader) *http.Request {
	t.Helper()
	req := newRequest(method, body)
	if err := a.Authorize(req); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	return req
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
}

// countRejected counts the answers of h with a status of 400 or more.
func countRejected(n *atomic.Int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if rec.status >= 400 {
			n.Add(1)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func get(t testing.TB, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Error(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
}
