// Package units parses and prints the human units of harden's config files:
// byte sizes ("64KiB", "1MiB") and byte rates ("1KiB/s"). Config values come
// from files an operator edits, so parsing is strict: an unknown unit, a
// fraction or an overflow is an error that names the input, never a guess.
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bytes is a size in bytes. In text it is an integer with an optional unit:
// B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024); case is
// ignored and space between number and unit is allowed. Negative values are
// allowed in text only as "-1" style integers without a unit, and mean
// "disabled" wherever a field says so.
type Bytes int64

// Common sizes.
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

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("units: invalid size")

// ParseBytes parses s as described on [Bytes].
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
		return 0, fmt.Errorf("%w %q: want an integer with an optional unit such as 512KiB or 2MiB", ErrSyntax, s)
	}
	mult, ok := multipliers[unit]
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown unit %q (use B, KB, MB, GB, KiB, MiB or GiB)", ErrSyntax, s, in[i:])
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %v", ErrSyntax, s, errors.Unwrap(err))
	}
	if n < 0 && unit != "" {
		return 0, fmt.Errorf("%w %q: a negative size takes no unit (write -1 to disable)", ErrSyntax, s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%w %q: larger than %d bytes", ErrSyntax, s, int64(math.MaxInt64))
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
func (b *Bytes) UnmarshalText(text []byte) error {
	v, err := ParseBytes(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// Rate is a transfer rate in bytes per second. In text it is a [Bytes]
// value followed by "/s" ("1KiB/s"); the suffix is required so that a size
// is never mistaken for a rate.
type Rate int64

// ParseRate parses s as described on [Rate].
func ParseRate(s string) (Rate, error) {
	in := strings.TrimSpace(s)
	size, ok := strings.CutSuffix(in, "/s")
	if !ok {
		return 0, fmt.Errorf("%w %q: a rate ends in /s, such as 1KiB/s", ErrSyntax, s)
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
func (r *Rate) UnmarshalText(text []byte) error {
	v, err := ParseRate(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
