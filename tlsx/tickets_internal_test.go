package tlsx

import (
	"slices"
	"testing"
	"time"
)

// The phase rule, step by step: which key encrypts, and in which order
// the keys are given to crypto/tls.
func TestTicketPhases(t *testing.T) {
	k := func(b byte) [TicketKeySize]byte { return [TicketKeySize]byte{b} }
	k1, k2, k3 := k(1), k(2), k(3)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	phase := 10 * time.Second
	steps := []struct {
		name    string
		keys    [][TicketKeySize]byte // nil: no new version of the file
		at      time.Duration         // since t0
		want    [][TicketKeySize]byte
		changed bool
	}{
		// At start every key but the newest counts as held a phase.
		{"start during a rotation", [][TicketKeySize]byte{k1, k2}, 0, [][TicketKeySize]byte{k1, k2}, true},
		{"newest not yet held a phase", nil, phase - time.Nanosecond, [][TicketKeySize]byte{k1, k2}, false},
		{"newest held a phase", nil, phase, [][TicketKeySize]byte{k2, k1}, true},
		{"new key only decrypts", [][TicketKeySize]byte{k1, k2, k3}, 2 * phase, [][TicketKeySize]byte{k2, k3, k1}, true},
		{"new key encrypts a phase later", nil, 3 * phase, [][TicketKeySize]byte{k3, k2, k1}, true},
		{"old key dropped", [][TicketKeySize]byte{k2, k3}, 4 * phase, [][TicketKeySize]byte{k3, k2}, true},
		{"unchanged", nil, 5 * phase, [][TicketKeySize]byte{k3, k2}, false},
		// Every key replaced at once: nothing held a phase, so the
		// oldest of the file encrypts until the newest has been held.
		{"all replaced", [][TicketKeySize]byte{k1, k(4)}, 6 * phase, [][TicketKeySize]byte{k1, k(4)}, true},
		{"all replaced, a phase later", nil, 7 * phase, [][TicketKeySize]byte{k(4), k1}, true},
	}
	tp := ticketPhases{phase: phase}
	for _, s := range steps {
		now := t0.Add(s.at)
		if s.keys != nil {
			tp.load(s.keys, now)
		}
		got, changed := tp.current(now)
		if !slices.Equal(got, s.want) || changed != s.changed {
			t.Errorf("%s: order %v, changed %v; want %v, %v", s.name, firsts(got), changed, firsts(s.want), s.changed)
		}
	}
}

// A single key encrypts at once.
func TestTicketPhasesSingleKey(t *testing.T) {
	tp := ticketPhases{phase: time.Minute}
	now := time.Now()
	tp.load([][TicketKeySize]byte{{9}}, now)
	if got, _ := tp.current(now); len(got) != 1 || got[0] != [TicketKeySize]byte{9} {
		t.Errorf("order = %v, want the one key", firsts(got))
	}
}

func firsts(keys [][TicketKeySize]byte) []byte {
	out := make([]byte, len(keys))
	for i, k := range keys {
		out[i] = k[0]
	}
	return out
}

// The keys file is parsed without panicking whatever it holds, and
// keys come back only from a file without problems: at least one key,
// each distinct.
func FuzzParseTicketKeys(f *testing.F) {
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("# comment\n\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"))
	f.Add([]byte("AAAA\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &problems{Prefix: "tls."}
		keys := parseTicketKeys(p, "ticket_keys_file", data)
		if (keys != nil) == (p.Err() != nil) {
			t.Fatalf("keys %d, problems %v: want keys exactly when there is no problem", len(keys), p.Err())
		}
		seen := make(map[[TicketKeySize]byte]bool)
		for _, k := range keys {
			if seen[k] {
				t.Fatal("a repeated key was accepted")
			}
			seen[k] = true
		}
	})
}
