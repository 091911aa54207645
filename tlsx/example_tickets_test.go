package tlsx_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/harden-go/harden/configs"
	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// Two replicas built from the reference config configs/tls-server.yaml
// share its session ticket keys file, so a client that made its session
// with replica A resumes it on replica B instead of paying a full
// handshake. The example replaces the deployment's paths with tlstest
// files.
func ExampleServerConfig_ticketKeysFile() {
	tb := newExampleTB()
	defer tb.cleanup()
	data, err := configs.FS.ReadFile("tls-server.yaml")
	if err != nil {
		log.Fatal(err)
	}
	var file struct {
		TLS tlsx.ServerConfig `yaml:"tls"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		log.Fatal(err)
	}
	cfg := file.TLS
	fmt.Println("ticket_keys_file:", cfg.TicketKeysFile, "reload_interval:", cfg.ReloadInterval)

	ca := tlstest.NewCA(tb)
	srv, cli := ca.Server(tb), ca.Client(tb, "spiffe://example.org/ns/prod/sa/web")
	cfg.CertFile, cfg.KeyFile, cfg.ClientCAFile = srv.CertFile, srv.KeyFile, ca.CertFile
	key := make([]byte, tlsx.TicketKeySize)
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	cfg.TicketKeysFile = filepath.Join(tb.TempDir(), "keys")
	if err := os.WriteFile(cfg.TicketKeysFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}

	client := ca.ClientConfig(cli)
	client.ServerName = "localhost"
	client.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	for _, name := range []string{"A", "B"} {
		replica, err := tlsx.NewServerSource(context.Background(), cfg)
		if err != nil {
			log.Fatal(err)
		}
		resumed, err := handshakeOnce(replica.TLSConfig(), client)
		replica.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("replica %s: resumed %v\n", name, resumed)
	}
	// Output:
	// ticket_keys_file: /etc/tls-tickets/keys reload_interval: 10s
	// replica A: resumed false
	// replica B: resumed true
}

// handshakeOnce serves one handshake with server over loopback and
// reports whether the client resumed a session.
func handshakeOnce(server, client *tls.Config) (bool, error) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server)
	if err != nil {
		return false, err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), client)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	_, _ = conn.Read(make([]byte, 1)) // the session tickets, then the server's close
	if err := <-done; err != nil {
		return false, err
	}
	return conn.ConnectionState().DidResume, nil
}
