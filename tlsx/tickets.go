package tlsx

import (
	"bytes"
	"encoding/base64"
	"time"
)

// TicketKeySize is the length of a session ticket key, as
// [tls.Config.SetSessionTicketKeys] takes it.
const TicketKeySize = 32

// parseTicketKeys reads a ticket keys file: one standard base64
// encoding of a 32-byte key per line, oldest first and newest last.
// Blank lines and lines starting with "#" are skipped. Every problem is
// added to p under field; the keys are returned only when there is
// none.
func parseTicketKeys(p *problems, field string, data []byte) [][TicketKeySize]byte {
	var keys [][TicketKeySize]byte
	seen := make(map[[TicketKeySize]byte]int)
	ok := true
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(string(line))
		switch {
		case err != nil:
			p.Add(field, RuleTicketKeys, "line %d is not base64 (%v); write each key as the base64 of 32 random bytes, such as the output of `openssl rand -base64 32`", i+1, err)
			ok = false
			continue
		case len(raw) != TicketKeySize:
			p.Add(field, RuleTicketKeys, "line %d holds a %d-byte key; each key must be exactly 32 random bytes, base64-encoded (`openssl rand -base64 32`)", i+1, len(raw))
			ok = false
			continue
		}
		var k [TicketKeySize]byte
		copy(k[:], raw)
		if first, dup := seen[k]; dup {
			p.Add(field, RuleTicketKeys, "line %d repeats the key of line %d; list each key once, newest last", i+1, first)
			ok = false
			continue
		}
		seen[k] = i + 1
		keys = append(keys, k)
	}
	if ok && len(keys) == 0 {
		p.Add(field, RuleTicketKeys, "holds no key; write at least one base64 32-byte key per line (`openssl rand -base64 32`), or leave ticket_keys_file empty for per-process keys")
		ok = false
	}
	if !ok {
		return nil
	}
	return keys
}

// ticketPhases tracks since when a server source has held each key of
// its ticket keys file, and chooses the key that encrypts new tickets.
//
// The rule, so that replicas sharing the file never issue a ticket that
// another replica cannot decrypt: a key encrypts only once this source
// has held it for one phase (the reload interval). By then every
// replica polling the same file at the same interval has loaded it, so
// each can already decrypt what it encrypts. Until then the key only
// decrypts, and the newest key held for a phase keeps encrypting. When
// no key has been held that long (the file's keys were all replaced at
// once), the oldest key of the file encrypts. At start, every key but
// the newest counts as held for a phase, so a replica that starts
// during a rotation follows the same rule as one that was running.
//
// A ticketPhases is guarded by the reloader's mutex.
type ticketPhases struct {
	phase time.Duration
	since map[[TicketKeySize]byte]time.Time
	keys  [][TicketKeySize]byte // the file's keys, oldest first
	order [][TicketKeySize]byte // last given to SetSessionTicketKeys
}

// load takes the keys of a new version of the file at now. The first
// load backdates every key but the newest by a phase.
func (t *ticketPhases) load(keys [][TicketKeySize]byte, now time.Time) {
	first := t.since == nil
	since := make(map[[TicketKeySize]byte]time.Time, len(keys))
	for i, k := range keys {
		switch at, ok := t.since[k]; {
		case ok:
			since[k] = at
		case first && i < len(keys)-1:
			since[k] = now.Add(-t.phase)
		default:
			since[k] = now
		}
	}
	t.since, t.keys = since, keys
}

// current returns the keys in the order SetSessionTicketKeys takes
// them at now: the encrypting key first, then every other key of the
// file, newest first. changed reports whether the order differs from
// the last one returned.
func (t *ticketPhases) current(now time.Time) (order [][TicketKeySize]byte, changed bool) {
	if len(t.keys) == 0 {
		return nil, false
	}
	enc := 0
	for i := len(t.keys) - 1; i >= 0; i-- {
		if now.Sub(t.since[t.keys[i]]) >= t.phase {
			enc = i
			break
		}
	}
	order = append(order, t.keys[enc])
	for i := len(t.keys) - 1; i >= 0; i-- {
		if i != enc {
			order = append(order, t.keys[i])
		}
	}
	changed = len(order) != len(t.order)
	for i := 0; !changed && i < len(order); i++ {
		changed = order[i] != t.order[i]
	}
	t.order = order
	return order, changed
}
