package harden

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax is matched by every error of [ParseDuration], [ParseBytes] and
// [ParseRate] through [errors.Is].
var ErrSyntax = errors.New("harden: invalid value")

// SyntaxError is the error of [ParseDuration], [ParseBytes] and
// [ParseRate]: Kind is "duration", "size" or "rate", Input the text as
// given, and Reason what is wrong with it.
type SyntaxError struct {
	Kind, Input, Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("harden: invalid %s %q: %s", e.Kind, e.Input, e.Reason)
}

// Is reports whether target is [ErrSyntax].
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Duration is a length of time in a config file. In text it is what
// [time.ParseDuration] reads ("30s", "1m30s", "100ms", "-1s"), and a whole
// number of seconds is written as seconds ("120s"), as the reference
// configs write it. A negative duration disables the limit of a field
// that says so. Convert it with [Duration.Std] where a [time.Duration] is
// needed; in Go code write it with the constants below (30 * harden.Second)
// or convert one (harden.Duration(d)).
type Duration time.Duration

// Units of [Duration], for Go code: cfg.Timeouts.Handler = 10 * harden.Second.
const (
	Millisecond = Duration(time.Millisecond)
	Second      = Duration(time.Second)
	Minute      = Duration(time.Minute)
	Hour        = Duration(time.Hour)
)

// Std returns d as a [time.Duration].
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ParseDuration parses s as described on [Duration]. Space around the
// value is ignored; "0" is the only value without a unit.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, &SyntaxError{"duration", s, "want a number and a unit (ns, us, ms, s, m or h)"}
	}
	return Duration(d), nil
}

// String prints d so that ParseDuration(d.String()) == d: whole seconds
// as "120s", anything else as [time.Duration.String] does ("1.5s").
func (d Duration) String() string {
	if d%Second == 0 {
		return strconv.FormatInt(int64(d/Second), 10) + "s"
	}
	return time.Duration(d).String()
}

// MarshalText implements [encoding.TextMarshaler].
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (d *Duration) UnmarshalText(text []byte) error { return unmarshal(d, ParseDuration, text) }

// UnmarshalJSON reads a JSON string as [Duration.UnmarshalText] does, and
// a bare JSON number as its text, so that a JSON file is read as its YAML
// twin: 0 is zero, and any other number is refused for want of a unit
// rather than taken as nanoseconds.
func (d *Duration) UnmarshalJSON(data []byte) error { return unmarshalJSON(d, ParseDuration, data) }

// Bytes is a size in bytes. In text it is an integer with an optional unit:
// B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024); case is
// ignored and space between number and unit is allowed. A negative size
// is written as a bare integer ("-1") and disables the limit of a field
// that says so.
type Bytes int64

// Common sizes, for Go code: cfg.Limits.MaxBodyBytes = 8 * harden.MiB.
const (
	KiB Bytes = 1 << 10
	MiB Bytes = 1 << 20
	GiB Bytes = 1 << 30
)

var multipliers = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
}

// ParseBytes parses s as described on [Bytes]. An unknown unit, a fraction
// or an overflow is an error that quotes s, never a guess.
func ParseBytes(s string) (Bytes, error) {
	in := strings.TrimSpace(s)
	i := 0
	if i < len(in) && in[i] == '-' {
		i++
	}
	for i < len(in) && in[i] >= '0' && in[i] <= '9' {
		i++
	}
	num, unit := in[:i], strings.ToLower(strings.TrimSpace(in[i:]))
	if num == "" || num == "-" {
		return 0, &SyntaxError{"size", s, "want an integer with an optional unit such as 512KiB or 2MiB"}
	}
	mult, ok := multipliers[unit]
	if !ok {
		return 0, &SyntaxError{"size", s, fmt.Sprintf("unknown unit %q (use B, KB, MB, GB, KiB, MiB or GiB)", strings.TrimSpace(in[i:]))}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, &SyntaxError{"size", s, errors.Unwrap(err).Error()}
	}
	if n < 0 && unit != "" {
		return 0, &SyntaxError{"size", s, "a negative size takes no unit (write -1 to disable)"}
	}
	if n > math.MaxInt64/mult {
		return 0, &SyntaxError{"size", s, fmt.Sprintf("larger than %d bytes", int64(math.MaxInt64))}
	}
	return Bytes(n * mult), nil
}

// String prints b with the largest binary unit that divides it exactly, so
// that ParseBytes(b.String()) == b.
func (b Bytes) String() string {
	n := int64(b)
	switch {
	case n <= 0:
		return strconv.FormatInt(n, 10)
	case n%int64(GiB) == 0:
		return strconv.FormatInt(n/int64(GiB), 10) + "GiB"
	case n%int64(MiB) == 0:
		return strconv.FormatInt(n/int64(MiB), 10) + "MiB"
	case n%int64(KiB) == 0:
		return strconv.FormatInt(n/int64(KiB), 10) + "KiB"
	}
	return strconv.FormatInt(n, 10) + "B"
}

// MarshalText implements [encoding.TextMarshaler].
func (b Bytes) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (b *Bytes) UnmarshalText(text []byte) error { return unmarshal(b, ParseBytes, text) }

// UnmarshalJSON reads a JSON string as [Bytes.UnmarshalText] does, and a
// bare JSON number as a number of bytes, as YAML reads it.
func (b *Bytes) UnmarshalJSON(data []byte) error { return unmarshalJSON(b, ParseBytes, data) }

// Rate is a transfer rate in bytes per second. In text it is a [Bytes]
// value followed by "/s" ("1KiB/s"); the suffix is required so that a size
// is never mistaken for a rate.
type Rate int64

// ParseRate parses s as described on [Rate].
func ParseRate(s string) (Rate, error) {
	size, ok := strings.CutSuffix(strings.TrimSpace(s), "/s")
	if !ok {
		return 0, &SyntaxError{"rate", s, "a rate ends in /s, such as 1KiB/s"}
	}
	b, err := ParseBytes(size)
	if err != nil {
		return 0, err
	}
	return Rate(b), nil
}

// String prints r as a size per second.
func (r Rate) String() string { return Bytes(r).String() + "/s" }

// MarshalText implements [encoding.TextMarshaler].
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (r *Rate) UnmarshalText(text []byte) error { return unmarshal(r, ParseRate, text) }

// UnmarshalJSON reads a JSON string as [Rate.UnmarshalText] does; a bare
// JSON number is refused for want of "/s", as in YAML.
func (r *Rate) UnmarshalJSON(data []byte) error { return unmarshalJSON(r, ParseRate, data) }

func unmarshal[T any](dst *T, parse func(string) (T, error), text []byte) error {
	v, err := parse(string(text))
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// unmarshalJSON decodes a JSON string or number through parse; null
// leaves dst alone, as encoding/json does for other types.
func unmarshalJSON[T any](dst *T, parse func(string) (T, error), data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case string(data) == "null":
		return nil
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		return unmarshal(dst, parse, []byte(s))
	}
	return unmarshal(dst, parse, data)
}
