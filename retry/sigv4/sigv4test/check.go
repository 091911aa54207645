package sigv4test

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// MaxCheckedBody is the largest body whose SHA-256 Check verifies; a
// larger one with a hash is refused with 413, so a test server's memory
// stays bounded.
const MaxCheckedBody = 16 << 20

// maxSkew is how far a signature's date may be from the server's clock,
// as S3 enforces (RequestTimeTooSkewed).
const maxSkew = 15 * time.Minute

const timeFormat = "20060102T150405Z"

// Check returns middleware that lets through to next only requests
// signed, with SigV4 header authentication, by a live session of i: the
// signature is recomputed with the AWS SDK's signer from the headers the
// request says it signed and the session's secret. A body whose
// X-Amz-Content-Sha256 is a hash is read (at most [MaxCheckedBody]),
// checked, and handed to next in full; UNSIGNED-PAYLOAD bodies pass
// unread. Rejections are S3 XML errors, described in the package
// documentation.
func (i *Issuer) Check(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, status := i.check(r); code != "" {
			i.mu.Lock()
			i.rejected[code]++
			i.mu.Unlock()
			WriteError(w, status, code)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// check returns the S3 error code and status that reject r, or "".
func (i *Issuer) check(r *http.Request) (code string, status int) {
	auth, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return "AuthorizationHeaderMalformed", http.StatusBadRequest
	}
	if auth.Region != i.region || auth.Service != i.service {
		return "AuthorizationHeaderMalformed", http.StatusBadRequest
	}
	s, ok := i.lookup(auth.AccessKeyID)
	if !ok {
		return "InvalidAccessKeyId", http.StatusForbidden
	}
	if r.Header.Get("X-Amz-Security-Token") != s.token {
		return "InvalidToken", http.StatusBadRequest
	}
	if s.expired {
		return "ExpiredToken", http.StatusBadRequest // as S3 answers it
	}
	date, err := time.Parse(timeFormat, r.Header.Get("X-Amz-Date"))
	if err != nil || date.Format("20060102") != auth.Date {
		return "AccessDenied", http.StatusForbidden
	}
	if d := i.now().Sub(date); d > maxSkew || d < -maxSkew {
		return "RequestTimeTooSkewed", http.StatusForbidden
	}
	hash := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case hash == "UNSIGNED-PAYLOAD":
	case len(hash) == sha256.Size*2:
		if code, status := checkBody(r, hash); code != "" {
			return code, status
		}
	default:
		return "InvalidArgument", http.StatusBadRequest
	}
	want, err := resign(r, auth, s.secret, hash, date)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(auth.Signature)) != 1 {
		return "SignatureDoesNotMatch", http.StatusForbidden
	}
	return "", 0
}

// checkBody reads r's body, compares its SHA-256 with hash and puts it
// back.
func checkBody(r *http.Request, hash string) (code string, status int) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCheckedBody+1))
	r.Body.Close()
	if err != nil {
		return "IncompleteBody", http.StatusBadRequest
	}
	if len(body) > MaxCheckedBody {
		return "EntityTooLarge", http.StatusRequestEntityTooLarge
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != strings.ToLower(hash) {
		return "XAmzContentSHA256Mismatch", http.StatusBadRequest
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return "", 0
}

// resign signs a copy of r that has only the headers auth says were
// signed, and returns its signature.
func resign(r *http.Request, auth Authorization, secret, hash string, date time.Time) (string, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	c := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: make(http.Header)}
	for _, name := range auth.SignedHeaders {
		switch name {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			c.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	// The session token, if signed, is among the copied headers; an
	// empty token keeps the signer from adding it when it was not.
	creds := aws.Credentials{AccessKeyID: auth.AccessKeyID, SecretAccessKey: secret}
	s3 := auth.Service == "s3"
	err := v4.NewSigner().SignHTTP(r.Context(), creds, c, hash, auth.Service, auth.Region, date,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 })
	if err != nil {
		return "", err
	}
	got, err := ParseAuthorization(c.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	if strings.Join(got.SignedHeaders, ";") != strings.Join(auth.SignedHeaders, ";") {
		return "", errors.New("sigv4test: signed headers differ")
	}
	return got.Signature, nil
}

// WriteError answers with an S3 XML error body carrying code, as S3 and
// S3-compatible servers do.
func WriteError(w http.ResponseWriter, status int, code string) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	_ = xml.NewEncoder(&b).Encode(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: code, Message: messages[code]})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

var messages = map[string]string{
	"AuthorizationHeaderMalformed": "The authorization header is malformed.",
	"InvalidAccessKeyId":           "The AWS Access Key Id you provided does not exist in our records.",
	"InvalidToken":                 "The provided token is malformed or otherwise invalid.",
	"ExpiredToken":                 "The provided token has expired.",
	"AccessDenied":                 "Access Denied",
	"RequestTimeTooSkewed":         "The difference between the request time and the current time is too large.",
	"InvalidArgument":              "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256 hex digest.",
	"IncompleteBody":               "You did not provide the number of bytes specified by the Content-Length HTTP header.",
	"EntityTooLarge":               "Your proposed upload exceeds the maximum allowed object size.",
	"XAmzContentSHA256Mismatch":    "The provided 'x-amz-content-sha256' header does not match what was computed.",
	"SignatureDoesNotMatch":        "The request signature we calculated does not match the signature you provided.",
	"SlowDown":                     "Please reduce your request rate.",
}

// Authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request,
//	SignedHeaders=host;x-amz-date, Signature=<64 hex digits>
type Authorization struct {
	AccessKeyID string
	// Date (YYYYMMDD), Region and Service are the credential scope.
	Date, Region, Service string
	// SignedHeaders are lower-case header names, in the header's order.
	SignedHeaders []string
	Signature     string
}

// ErrMalformed is returned by [ParseAuthorization] for a header that is
// not SigV4 header authentication.
var ErrMalformed = errors.New("sigv4test: malformed SigV4 Authorization header")

// ParseAuthorization parses a SigV4 Authorization header. It accepts only
// the shape SigV4 defines (algorithm AWS4-HMAC-SHA256, the three fields
// once each, a five-part credential ending in aws4_request, a 64-digit
// hex signature) and returns [ErrMalformed] for anything else; it never
// panics, whatever the input.
func ParseAuthorization(h string) (Authorization, error) {
	const algorithm = "AWS4-HMAC-SHA256 "
	rest, ok := strings.CutPrefix(h, algorithm)
	if !ok {
		return Authorization{}, ErrMalformed
	}
	var a Authorization
	var cred, signed string
	seen := map[string]bool{}
	for field := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok || seen[k] {
			return Authorization{}, ErrMalformed
		}
		seen[k] = true
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			a.Signature = v
		default:
			return Authorization{}, ErrMalformed
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || len(parts[1]) != 8 {
		return Authorization{}, ErrMalformed
	}
	for _, p := range parts[:4] {
		if p == "" {
			return Authorization{}, ErrMalformed
		}
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = parts[0], parts[1], parts[2], parts[3]
	if signed == "" {
		return Authorization{}, ErrMalformed
	}
	a.SignedHeaders = strings.Split(signed, ";")
	for _, n := range a.SignedHeaders {
		if n == "" || n != strings.ToLower(n) || !validHeaderName(n) {
			return Authorization{}, ErrMalformed
		}
	}
	if _, err := hex.DecodeString(a.Signature); err != nil || len(a.Signature) != sha256.Size*2 {
		return Authorization{}, ErrMalformed
	}
	return a, nil
}

func validHeaderName(n string) bool {
	for i := range len(n) {
		c := n[i]
		if !(c == '-' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
