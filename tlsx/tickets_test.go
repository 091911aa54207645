package tlsx_test

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden"
	"github.com/harden-go/harden/tlsx"
	"github.com/harden-go/harden/tlsx/tlstest"
)

// newTicketKey returns a base64 line of 32 random bytes.
func newTicketKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, tlsx.TicketKeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// keyID names a base64 key as State and the logs do.
func keyID(t *testing.T, key string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:4])
}

// writeKeys replaces the ticket keys file with keys, oldest first.
func writeKeys(t *testing.T, file string, keys ...string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// replica is one server of a service sharing the ticket keys file. It
// polls never (its ticks never come): the test reloads it by hand.
func replica(t *testing.T, srv *tlstest.Cert, keysFile string, clock *fakeClock) *tlsx.ServerSource {
	t.Helper()
	return newServer(t, tlsx.ServerConfig{
		CertFile: srv.CertFile, KeyFile: srv.KeyFile,
		TicketKeysFile: keysFile, ReloadInterval: harden.Minute,
	}, tlsx.WithClock(clock.Now), tlsx.WithTicks(make(chan time.Time)))
}

// resumingClient returns a client config with its own session cache.
func resumingClient(ca *tlstest.CA, version uint16) *tls.Config {
	return &tls.Config{
		RootCAs: ca.Pool(), ServerName: "localhost",
		MinVersion: version, MaxVersion: version,
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
	}
}

// reload reloads src, failing the test when the files are refused.
func reload(t *testing.T, src *tlsx.ServerSource) {
	t.Helper()
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
}

var tlsVersions = []struct {
	name    string
	version uint16
}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}}

// A session made with one replica resumes on another that shares the
// ticket keys file; without the file it does not.
func TestTicketKeysResumeAcrossReplicas(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	keys := filepath.Join(t.TempDir(), "ticket-keys")
	writeKeys(t, keys, newTicketKey(t), newTicketKey(t))
	clock := &fakeClock{t: time.Now()}
	for _, v := range tlsVersions {
		t.Run(v.name, func(t *testing.T) {
			a, b := replica(t, srv, keys, clock), replica(t, srv, keys, clock)
			cli := resumingClient(ca, v.version)
			first := handshake(t, a.TLSConfig(), cli)
			ok(t, first)
			second := handshake(t, b.TLSConfig(), cli)
			ok(t, second)
			if first.Client.DidResume || !second.Client.DidResume {
				t.Errorf("DidResume = %v on A, %v on B; want a full handshake on A and a resumption on B", first.Client.DidResume, second.Client.DidResume)
			}

			// Two sources without the file keep per-process keys.
			plainA := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile})
			plainB := newServer(t, tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile})
			cli = resumingClient(ca, v.version)
			ok(t, handshake(t, plainA.TLSConfig(), cli))
			r := handshake(t, plainB.TLSConfig(), cli)
			ok(t, r)
			if r.Client.DidResume {
				t.Error("a session resumed across sources without shared keys")
			}
		})
	}
}

// During a rotation step no replica issues a ticket another cannot
// decrypt: A has held the new key for a reload interval and encrypts
// with it; B has just loaded it and still encrypts with the old one; C
// has not loaded it yet. A's tickets resume on B, and B's on C.
func TestTicketKeysPhasedRotation(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	keys := filepath.Join(t.TempDir(), "ticket-keys")
	oldKey, newKey := newTicketKey(t), newTicketKey(t)
	writeKeys(t, keys, oldKey)
	for _, v := range tlsVersions {
		t.Run(v.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Now()}
			a, b, c := replica(t, srv, keys, clock), replica(t, srv, keys, clock), replica(t, srv, keys, clock)
			writeKeys(t, keys, oldKey, newKey)
			t.Cleanup(func() { writeKeys(t, keys, oldKey) })
			reload(t, a) // A loads the new key ...
			clock.Advance(time.Minute)
			reload(t, a) // ... and encrypts with it one interval later.
			reload(t, b) // B has just loaded it; C has not.
			for _, r := range []struct {
				name string
				src  *tlsx.ServerSource
				keys int
				enc  string
			}{{"A", a, 2, newKey}, {"B", b, 2, oldKey}, {"C", c, 1, oldKey}} {
				if st := r.src.State(); st.TicketKeys != r.keys || st.EncryptingTicketKey != keyID(t, r.enc) {
					t.Errorf("%s: %d keys, encrypting %q; want %d, %q", r.name, st.TicketKeys, st.EncryptingTicketKey, r.keys, keyID(t, r.enc))
				}
			}

			fromA := resumingClient(ca, v.version)
			ok(t, handshake(t, a.TLSConfig(), fromA))
			r := handshake(t, b.TLSConfig(), fromA)
			ok(t, r)
			if !r.Client.DidResume {
				t.Error("a ticket of A (new key) did not resume on B, which has just loaded the key")
			}

			fromB := resumingClient(ca, v.version)
			ok(t, handshake(t, b.TLSConfig(), fromB))
			r = handshake(t, c.TLSConfig(), fromB)
			ok(t, r)
			if !r.Client.DidResume {
				t.Error("a ticket of B did not resume on C, which has not loaded the new key: B encrypted with a key it had only just loaded")
			}

			// A's tickets do not resume on C: C lacks the key, so A was
			// right to wait an interval. (fromA now holds B's ticket.)
			fromA = resumingClient(ca, v.version)
			ok(t, handshake(t, a.TLSConfig(), fromA))
			r = handshake(t, c.TLSConfig(), fromA)
			ok(t, r)
			if r.Client.DidResume {
				t.Error("a ticket of A resumed on C, which lacks the new key: A did not encrypt with the new key")
			}
		})
	}
}

// A ticket encrypted with a key since removed from the file does not
// resume: the client gets a full handshake, not a failure.
func TestTicketKeysDroppedKey(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	keys := filepath.Join(t.TempDir(), "ticket-keys")
	oldKey, newKey := newTicketKey(t), newTicketKey(t)
	for _, v := range tlsVersions {
		t.Run(v.name, func(t *testing.T) {
			writeKeys(t, keys, oldKey)
			clock := &fakeClock{t: time.Now()}
			a := replica(t, srv, keys, clock)
			keptOld, droppedOld := resumingClient(ca, v.version), resumingClient(ca, v.version)
			ok(t, handshake(t, a.TLSConfig(), keptOld))
			ok(t, handshake(t, a.TLSConfig(), droppedOld))

			// The new key encrypts after an interval; the old one still
			// decrypts.
			writeKeys(t, keys, oldKey, newKey)
			reload(t, a)
			clock.Advance(time.Minute)
			reload(t, a)
			r := handshake(t, a.TLSConfig(), keptOld)
			ok(t, r)
			if !r.Client.DidResume {
				t.Fatal("a ticket of a key still in the file did not resume")
			}
			withNew := resumingClient(ca, v.version)
			ok(t, handshake(t, a.TLSConfig(), withNew))

			writeKeys(t, keys, newKey)
			reload(t, a)
			r = handshake(t, a.TLSConfig(), droppedOld)
			ok(t, r)
			if r.Client.DidResume {
				t.Error("a ticket of a key removed from the file resumed")
			}
			r = handshake(t, a.TLSConfig(), withNew)
			ok(t, r)
			if !r.Client.DidResume {
				t.Error("a ticket of the key that stays did not resume")
			}
		})
	}
}

// The keys file is validated with the other files: a bad line, a
// wrong length, a repeated key or no key at all is refused, and a bad
// new version never replaces the keys in use.
func TestTicketKeysValidation(t *testing.T) {
	ca := tlstest.NewCA(t)
	srv := ca.Server(t)
	key := newTicketKey(t)
	cases := []struct {
		name    string
		content string
	}{
		{"not base64", key + "\nnot base64!\n"},
		{"short key", base64.StdEncoding.EncodeToString(make([]byte, 16)) + "\n"},
		{"repeated key", key + "\n" + key + "\n"},
		{"empty", "# no keys yet\n\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "ticket-keys")
			if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, TicketKeysFile: file}
			if got, want := rules(cfg.Validate()), []string{"tls.ticket_keys_file ticket-keys"}; !slices.Equal(got, want) {
				t.Errorf("Validate() rules = %v, want %v", got, want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		cfg := tlsx.ServerConfig{CertFile: srv.CertFile, KeyFile: srv.KeyFile, TicketKeysFile: filepath.Join(t.TempDir(), "nope")}
		if got, want := rules(cfg.Validate()), []string{"tls.ticket_keys_file file"}; !slices.Equal(got, want) {
			t.Errorf("Validate() rules = %v, want %v", got, want)
		}
	})
	t.Run("bad reload keeps the keys", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "ticket-keys")
		writeKeys(t, file, "# comments and blank lines are skipped", "", key)
		clock := &fakeClock{t: time.Now()}
		a, b := replica(t, srv, file, clock), replica(t, srv, file, clock)
		if err := os.WriteFile(file, []byte("garbage\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := rules(a.Reload()); !slices.Equal(got, []string{"tls.ticket_keys_file ticket-keys"}) {
			t.Errorf("Reload() rules = %v, want the ticket-keys rule", got)
		}
		cli := resumingClient(ca, tls.VersionTLS13)
		ok(t, handshake(t, a.TLSConfig(), cli))
		r := handshake(t, b.TLSConfig(), cli)
		ok(t, r)
		if !r.Client.DidResume {
			t.Error("after a refused keys file, the replicas no longer share keys")
		}
	})
}
