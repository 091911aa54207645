package objectstorage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"go.uber.org/goleak"

	"github.com/harden-go/harden/examples/objectstorage"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/retry"
	"github.com/harden-go/harden/retry/sigv4"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const bucket = "harden"

// hardenClient is the harden client the S3 SDK sends through: the
// reference config, signing with auth.
func hardenClient(t *testing.T, auth retry.Authenticator) (*http.Client, httpx.ClientConfig) {
	t.Helper()
	cfg, err := referenceConfig()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := httpx.NewClient(cfg, httpx.WithAuthenticator(auth))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections)
	return hc, cfg
}

func newClient(t *testing.T, srv *s3Server) (*s3.Client, retry.Policy) {
	t.Helper()
	auth, err := sigv4.New(sigv4.Config{Region: region, Service: "s3"}, srv.issuer)
	if err != nil {
		t.Fatal(err)
	}
	hc, cfg := hardenClient(t, auth)
	c := objectstorage.NewS3(hc, srv.URL, region)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return c, cfg.Retry
}

// 32 goroutines PUT and GET objects in a loop while the issuer ends the
// session twice under them. Every operation succeeds, each expiry costs
// exactly one credential fetch, and no operation reaches the server more
// than the retry policy's attempts plus the one resend after a renewal.
//
// The expiries are triggered by the test, not by a clock: the first once
// every loop has completed a few pairs, the second only after every loop
// has started a pair signed with the renewed credentials, so that no
// request signed before the first expiry is still in flight (its resend
// could otherwise meet the second expiry: a double expiry, not what this
// test measures).
func TestConcurrentPutGetAcrossExpiries(t *testing.T) {
	const (
		loops    = 32
		warm     = 3   // pairs every loop starts before the first expiry
		settle   = 3   // pairs every loop starts after the last renewal
		maxPairs = 500 // per loop: a bound, never reached when the test passes
	)
	srv := newS3Server(t)
	c, p := newClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	before := srv.issuer.Fetches()

	// Each loop records, when it starts a pair, how many pairs it has
	// started and how many fetches the issuer had served by then.
	var (
		mu       sync.Mutex
		changed  = sync.NewCond(&mu)
		started  = make([]int, loops)
		fetchAt  = make([]int, loops)
		pairs    atomic.Int64
		failures atomic.Int64
		errs     = make(chan error, loops+1)
		done     = make(chan struct{})
	)
	record := func(i, n, fetches int) {
		mu.Lock()
		started[i], fetchAt[i] = n, fetches
		mu.Unlock()
		changed.Broadcast()
	}
	stopWaiting := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		changed.Broadcast()
	})
	defer stopWaiting()
	// waitAll waits until cond holds for every loop, or ctx ends.
	waitAll := func(cond func(i int) bool) {
		mu.Lock()
		defer mu.Unlock()
		for ctx.Err() == nil {
			all := true
			for i := range loops {
				all = all && cond(i)
			}
			if all {
				return
			}
			changed.Wait()
		}
	}

	var wg sync.WaitGroup
	for i := range loops {
		wg.Go(func() {
			defer record(i, math.MaxInt, math.MaxInt) // a finished loop holds up no phase
			for n := range maxPairs {
				select {
				case <-done:
					return
				case <-ctx.Done():
					errs <- ctx.Err()
					return
				default:
				}
				record(i, n+1, srv.issuer.Fetches())
				key := fmt.Sprintf("loop-%d/object-%d", i, n)
				body := []byte(fmt.Sprintf("object %d of loop %d", n, i))
				if err := putGet(ctx, c, key, body); err != nil {
					if failures.Add(1) == 1 {
						errs <- err
					}
				}
				pairs.Add(1)
			}
			errs <- fmt.Errorf("loop %d started %d pairs without the test ending", i, maxPairs)
		})
	}

	waitAll(func(i int) bool { return started[i] >= warm })
	for expiry := 1; expiry <= 2; expiry++ {
		srv.issuer.Expire()
		waitAll(func(i int) bool { return fetchAt[i] >= before+expiry })
	}
	mu.Lock()
	target := make([]int, loops)
	for i := range loops {
		target[i] = started[i] + settle
	}
	mu.Unlock()
	waitAll(func(i int) bool { return started[i] >= target[i] })
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	ops, maxAttempts := srv.stats()
	fetches := srv.issuer.Fetches() - before
	rejected := srv.issuer.Rejected("ExpiredToken")
	t.Logf("%d operations (%d PUT+GET pairs, %d loops), %d failed; 2 expiries: %d credential fetches, %d ExpiredToken rejections; at most %d attempts per operation (max_attempts %d + 1 renewal resend)",
		ops, pairs.Load(), loops, failures.Load(), fetches, rejected, maxAttempts, p.MaxAttempts)
	if failures.Load() != 0 {
		t.Errorf("%d operations failed, want 0", failures.Load())
	}
	if fetches != 2 {
		t.Errorf("%d credential fetches for 2 expiries, want 2", fetches)
	}
	if rejected < 2 {
		t.Errorf("%d ExpiredToken rejections: the expiries did not meet requests", rejected)
	}
	if maxAttempts > p.MaxAttempts+1 {
		t.Errorf("an operation reached the server %d times, want at most %d", maxAttempts, p.MaxAttempts+1)
	}
}

func putGet(ctx context.Context, c *s3.Client, key string, body []byte) error {
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		return fmt.Errorf("PUT %s: %w", key, err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("GET %s: %w", key, err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		return fmt.Errorf("GET %s: reading: %w", key, err)
	}
	if !bytes.Equal(got, body) {
		return fmt.Errorf("GET %s: got %q, want %q", key, got, body)
	}
	return nil
}

// An object whose server keeps answering 503 SlowDown is attempted
// exactly the policy's MaxAttempts times: the SDK's own retryer, left at
// its default, would make that 3 x 3 = 9.
func TestNoRetryAmplification(t *testing.T) {
	srv := newS3Server(t)
	c, p := newClient(t, srv)
	path := "/" + bucket + "/slow"
	srv.fail.Store(&path)
	_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("slow")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SlowDown" {
		t.Fatalf("GetObject: %v, want SlowDown", err)
	}
	if _, attempts := srv.stats(); attempts != p.MaxAttempts {
		t.Fatalf("the operation reached the server %d times, want %d (the policy's max_attempts)", attempts, p.MaxAttempts)
	}
}
