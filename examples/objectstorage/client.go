package objectstorage

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// NewS3 returns an S3 client for the S3-compatible endpoint (path-style
// URLs, "http://127.0.0.1:9000") that sends every request through hc, a
// harden client that signs each attempt with a sigv4.Authenticator and is
// the only retry layer (see the package documentation).
func NewS3(hc *http.Client, endpoint, region string) *s3.Client {
	return s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		HTTPClient:   hc,
		// harden's retry.Transport is the only retry layer.
		Retryer: aws.NopRetryer{},
		// harden's Authenticator signs every attempt; the SDK does not.
		Credentials: aws.AnonymousCredentials{},
		// Plain bodies, which S3-compatible servers accept.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}
