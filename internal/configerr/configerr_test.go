package configerr

import (
	"errors"
	"testing"

	"go.uber.org/goleak"

	"github.com/harden-go/harden"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestProblems(t *testing.T) {
	p := &Problems{Prefix: "server."}
	if p.Err() != nil {
		t.Fatal("no problems, yet an error")
	}
	p.Add("timeouts.write", "write-after-handler", "%v is too short", "1s")
	p.Add("admin.addr", "admin-loopback", "listens beyond loopback")
	err := p.Err()
	if got, want := err.Error(), "server.timeouts.write: write-after-handler: 1s is too short\nserver.admin.addr: admin-loopback: listens beyond loopback"; got != want {
		t.Fatalf("Err() = %q, want %q", got, want)
	}
	var e *harden.ConfigError
	if !errors.As(err, &e) || e.Field != "server.timeouts.write" || e.Rule != "write-after-handler" {
		t.Fatalf("errors.As = %+v", e)
	}
	if len(p.Errs()) != 2 {
		t.Fatalf("Errs() has %d problems, want 2", len(p.Errs()))
	}
}
