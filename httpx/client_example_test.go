package httpx_test

import (
	"bytes"
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
	fmt.Println("timeout:", cl.Timeout)
	// Output:
	// 200 OK hello
	// timeout: 1m0s
}

// ValidateAgainst checks a client against the server it calls: here the
// client keeps idle connections as long as the server does, and gives up
// on an answer before the server's handler timeout sends its 503.
func ExampleClientConfig_ValidateAgainst() {
	client := httpx.DefaultClientConfig()
	client.Timeouts.Idle = 2 * harden.Minute
	client.Timeouts.ResponseHeader = 20 * harden.Second
	err := client.ValidateAgainst(httpx.DefaultServerConfig())
	for _, ce := range harden.ConfigErrors(err) {
		fmt.Println(ce.Field, ce.Rule)
	}
	// Output:
	// client.timeouts.idle idle-below-server
	// client.timeouts.response_header attempt-above-handler
}
