package httpx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/configs"
	"github.com/harden-go/harden/httpx"
)

// A client built from a reference config file, decoded strictly. The file
// names the deployment's certificate files, which this example leaves
// out; with them, the client presents the certificate and picks up its
// rotations.
func Example_clientConfig() {
	data, err := configs.FS.ReadFile("client.yaml")
	if err != nil {
		panic(err)
	}
	var file struct {
		Client httpx.ClientConfig `yaml:"client"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		panic(err)
	}
	cfg := file.Client
	cfg.TLS.CAFile, cfg.TLS.CertFile, cfg.TLS.KeyFile = "", "", ""
	tr, err := httpx.NewTransport(cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println("response header timeout:", tr.ResponseHeaderTimeout)
	fmt.Println("idle timeout:", tr.IdleConnTimeout)
	fmt.Println("idle connections per host:", tr.MaxIdleConnsPerHost)
	fmt.Println("HTTP/2 ping after:", tr.HTTP2.SendPingTimeout)
	// Output:
	// response header timeout: 35s
	// idle timeout: 50s
	// idle connections per host: 64
	// HTTP/2 ping after: 10s
}

// A client with harden's defaults calling a service. In a handler, send
// requests with r.Context(): the inbound request ID and trace go along.
func ExampleNewClient() {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))
	defer svc.Close()

	cl, err := httpx.NewClient(httpx.DefaultClientConfig())
	if err != nil {
		panic(err)
	}
	defer cl.CloseIdleConnections()
	resp, err := cl.Get(svc.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.Status, " ", string(body))
	// Output:
	// 200 OK hello
}

// client.timeouts.total bounds a whole call, the body included, like
// http.Client.Timeout; errors.Is tells its end from the caller's own
// deadline.
func ExampleErrTotalTimeout() {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the body never comes
	}))
	defer svc.Close()

	cl, err := httpx.NewClient(httpx.ClientConfig{Timeouts: httpx.ClientTimeouts{Total: 500 * harden.Millisecond}})
	if err != nil {
		panic(err)
	}
	defer cl.CloseIdleConnections()
	resp, err := cl.Get(svc.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Println("total exceeded:", errors.Is(err, httpx.ErrTotalTimeout))
	fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded))
	// Output:
	// 200 OK
	// total exceeded: true
	// deadline exceeded: true
}
