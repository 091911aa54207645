package httpx_test

import (
	"bytes"
	"fmt"
	"net/http"

	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/configs"
	"github.com/harden-go/harden/httpx"
)

// A server built from a reference config file: strict decoding refuses
// unknown keys, and Validate names every inconsistency before NewServer.
func Example_referenceConfig() {
	data, err := configs.FS.ReadFile("public-edge.yaml")
	if err != nil {
		panic(err)
	}
	var file struct {
		Server httpx.ServerConfig `yaml:"server"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		panic(err)
	}
	srv, err := httpx.NewServer(file.Server, http.NotFoundHandler())
	if err != nil {
		panic(err)
	}
	hs := srv.HTTPServer()
	fmt.Println("read header timeout:", hs.ReadHeaderTimeout)
	fmt.Println("write timeout:", hs.WriteTimeout)
	fmt.Println("idle timeout:", hs.IdleTimeout)
	fmt.Println("min body rate:", srv.Config().Limits.MinBodyRate)
	// Output:
	// read header timeout: 5s
	// write timeout: 35s
	// idle timeout: 2m0s
	// min body rate: 35KiB/s
}

// Validate reports every problem at once, each with its key path, rule
// and fix.
func ExampleServerConfig_Validate() {
	cfg := httpx.DefaultServerConfig()
	cfg.Timeouts.Write = 30 * harden.Second // equal to the handler timeout
	cfg.Admin.Addr = "0.0.0.0:9090"
	err := cfg.Validate()
	for _, ce := range harden.ConfigErrors(err) {
		fmt.Println(ce.Field, ce.Rule)
	}
	// Output:
	// server.timeouts.write write-after-handler
	// server.admin.addr admin-loopback
}

// A hardened server for a mux, with its admin listener reporting the
// drain on /readyz. Run both with the same context; cancelling it (on
// SIGTERM) drains the public server while the admin server keeps
// answering probes.
func ExampleNewServer() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	cfg := httpx.DefaultServerConfig()
	srv, err := httpx.NewServer(cfg, mux)
	if err != nil {
		panic(err)
	}
	admin, err := httpx.NewAdminServer(cfg.Admin, httpx.WithReadiness(srv))
	if err != nil {
		panic(err)
	}
	// In main:
	//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	//	defer stop()
	//	go admin.Run(ctx)
	//	if err := srv.Run(ctx); err != nil { log.Fatal(err) }
	fmt.Println(srv.Ready(), admin.HTTPServer().Addr)
	// Output: true 127.0.0.1:9090
}
