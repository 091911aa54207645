package objectstorage_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/configs"
	"github.com/harden-go/harden/examples/objectstorage"
	"github.com/harden-go/harden/httpx"
	"github.com/harden-go/harden/retry/sigv4"
)

// An S3 client built from the reference config reads an object back after
// its session credentials expired: the GET is rejected with ExpiredToken,
// the credentials are fetched again once, and the GET is resent.
func ExampleNewS3() {
	srv, stop, err := startS3Server() // gofakes3 behind an STS-like issuer
	if err != nil {
		panic(err)
	}
	defer stop()
	ctx := context.Background()

	// In production the provider is stscreds, IRSA's or a Vault client.
	auth, err := sigv4.New(sigv4.Config{Region: "us-east-1", Service: "s3"}, srv.issuer)
	if err != nil {
		panic(err)
	}
	cfg, err := referenceConfig() // configs/object-storage-client.yaml
	if err != nil {
		panic(err)
	}
	hc, err := httpx.NewClient(cfg, httpx.WithAuthenticator(auth))
	if err != nil {
		panic(err)
	}
	defer hc.CloseIdleConnections()
	client := objectstorage.NewS3(hc, srv.URL, "us-east-1")

	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		panic(err)
	}
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("photos"), Key: aws.String("cat.txt"), Body: strings.NewReader("meow"),
	}); err != nil {
		panic(err)
	}
	srv.issuer.Expire() // the session ends
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("cat.txt")})
	if err != nil {
		panic(err)
	}
	defer out.Body.Close()
	body, _ := io.ReadAll(out.Body)
	fmt.Printf("%s after %d credential fetches\n", body, srv.issuer.Fetches())
	// Output: meow after 2 credential fetches
}

// referenceConfig decodes configs/object-storage-client.yaml strictly: a
// misspelt key is an error, not a default.
func referenceConfig() (httpx.ClientConfig, error) {
	data, err := configs.FS.ReadFile("object-storage-client.yaml")
	if err != nil {
		return httpx.ClientConfig{}, err
	}
	var file struct {
		Client httpx.ClientConfig `yaml:"client"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		return httpx.ClientConfig{}, fmt.Errorf("object-storage-client.yaml: %w", err)
	}
	return file.Client, nil
}
