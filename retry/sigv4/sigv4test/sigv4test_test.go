package sigv4test_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"go.uber.org/goleak"

	"github.com/harden-go/harden/retry/sigv4/sigv4test"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Check accepts what the SDK's signer signs with a live session and
// rejects everything else with S3's status and error code.
func TestCheck(t *testing.T) {
	now := time.Now()
	issuer := sigv4test.NewIssuer("us-east-1", "s3", func() time.Time { return now })
	srv := httptest.NewServer(issuer.Check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})))
	defer srv.Close()
	live, _ := issuer.Retrieve(context.Background())
	dead, _ := issuer.Retrieve(context.Background())
	issuer.Expire()
	live, _ = issuer.Retrieve(context.Background()) // issued after Expire: live

	sign := func(req *http.Request, creds aws.Credentials, hash string, at time.Time, region string) {
		req.Header.Set("X-Amz-Content-Sha256", hash)
		s3 := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true } // as the SDK's S3 client signs
		if err := v4.NewSigner(s3).SignHTTP(context.Background(), creds, req, hash, "s3", region, at); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		prepare    func(req *http.Request)
		wantStatus int
		wantCode   string
	}{
		{"signed", func(r *http.Request) { sign(r, live, emptySHA256, now, "us-east-1") }, 200, ""},
		{"unsigned payload", func(r *http.Request) { sign(r, live, "UNSIGNED-PAYLOAD", now, "us-east-1") }, 200, ""},
		{"no signature", func(r *http.Request) {}, 400, "AuthorizationHeaderMalformed"},
		{"other region", func(r *http.Request) { sign(r, live, emptySHA256, now, "eu-west-1") }, 400, "AuthorizationHeaderMalformed"},
		{"expired session", func(r *http.Request) { sign(r, dead, emptySHA256, now, "us-east-1") }, 400, "ExpiredToken"},
		{"unknown key", func(r *http.Request) {
			c := live
			c.AccessKeyID = "AKIDUNKNOWN"
			sign(r, c, emptySHA256, now, "us-east-1")
		}, 403, "InvalidAccessKeyId"},
		{"wrong secret", func(r *http.Request) {
			c := live
			c.SecretAccessKey = "guess"
			sign(r, c, emptySHA256, now, "us-east-1")
		}, 403, "SignatureDoesNotMatch"},
		{"header changed after signing", func(r *http.Request) {
			r.Header.Set("X-Amz-Meta-Owner", "alice")
			sign(r, live, emptySHA256, now, "us-east-1")
			r.Header.Set("X-Amz-Meta-Owner", "mallory")
		}, 403, "SignatureDoesNotMatch"},
		{"other session's token", func(r *http.Request) {
			c := live
			c.SessionToken = dead.SessionToken
			sign(r, c, emptySHA256, now, "us-east-1")
		}, 400, "InvalidToken"},
		{"skewed", func(r *http.Request) { sign(r, live, emptySHA256, now.Add(-time.Hour), "us-east-1") }, 403, "RequestTimeTooSkewed"},
		{"body hash mismatch", func(r *http.Request) {
			sign(r, live, emptySHA256, now, "us-east-1")
			r.Body = io.NopCloser(strings.NewReader("smuggled"))
			r.ContentLength = 8
		}, 400, "XAmzContentSHA256Mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bucket/a%20key?x-id=PutObject", nil)
			tc.prepare(req)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct{ Code string }
			if tc.wantCode != "" {
				if err := xml.NewDecoder(resp.Body).Decode(&e); err != nil {
					t.Fatalf("error body: %v", err)
				}
			}
			if resp.StatusCode != tc.wantStatus || e.Code != tc.wantCode {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, e.Code, tc.wantStatus, tc.wantCode)
			}
		})
	}
	if got := issuer.Fetches(); got != 3 {
		t.Fatalf("Fetches() = %d, want 3", got)
	}
	if e, s := issuer.Rejected("ExpiredToken"), issuer.Rejected("SignatureDoesNotMatch"); e != 1 || s != 2 {
		t.Fatalf("Rejected: %d ExpiredToken, %d SignatureDoesNotMatch; want 1 and 2", e, s)
	}
}

func TestParseAuthorization(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	good := "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig
	a, err := sigv4test.ParseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKeyID != "AKID" || a.Date != "20260101" || a.Region != "us-east-1" || a.Service != "s3" ||
		strings.Join(a.SignedHeaders, ";") != "host;x-amz-date" || a.Signature != sig {
		t.Fatalf("parsed %+v", a)
	}
	for _, bad := range []string{
		"",
		"Bearer abc",
		"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host",
		"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3, SignedHeaders=host, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=Host, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;;a, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=zz",
		"AWS4-HMAC-SHA256 Credential=A/20260101/r/s/aws4_request, Credential=B/20260101/r/s/aws4_request, SignedHeaders=host, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig,
	} {
		if _, err := sigv4test.ParseAuthorization(bad); !errors.Is(err, sigv4test.ErrMalformed) {
			t.Errorf("ParseAuthorization(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// The Authorization header is attacker-controlled on a server: parsing it
// never panics, and whatever it accepts has the shape SigV4 defines.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64))
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,,=")
	f.Add("AWS4-HMAC-SHA256 ")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := sigv4test.ParseAuthorization(h)
		if err != nil {
			return
		}
		if a.AccessKeyID == "" || len(a.Date) != 8 || a.Region == "" || a.Service == "" || len(a.Signature) != 64 || len(a.SignedHeaders) == 0 {
			t.Fatalf("accepted %q as %+v", h, a)
		}
	})
}
