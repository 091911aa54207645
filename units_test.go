package harden

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want Bytes
	}{
		{"0", 0},
		{"1", 1},
		{"512", 512},
		{"1B", 1},
		{"1KB", 1000},
		{"1MB", 1000 * 1000},
		{"1GB", 1000 * 1000 * 1000},
		{"1KiB", KiB},
		{"512KiB", 512 * KiB},
		{"2MiB", 2 * MiB},
		{"3GiB", 3 * GiB},
		{"2mib", 2 * MiB},
		{"1 MiB", MiB},
		{"  64KiB\t", 64 * KiB},
		{"-1", -1},
		{"-0", 0},
		{"0GiB", 0},
		{"9223372036854775807", math.MaxInt64},
		{"-9223372036854775808", math.MinInt64},
		{"8589934591GiB", 8589934591 * GiB},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBytes(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseBytesErrors(t *testing.T) {
	tests := []struct {
		name, in string
		reason   string // part of the message that says what is wrong
	}{
		{"empty", "", "want an integer"},
		{"blank", "   ", "want an integer"},
		{"sign only", "-", "want an integer"},
		{"unit only", "KiB", "want an integer"},
		{"plus sign", "+1", "want an integer"},
		{"fraction", "1.5MiB", `unknown unit ".5MiB"`},
		{"unknown unit", "10XB", `unknown unit "XB"`},
		{"negative with unit", "-1KiB", "negative size takes no unit"},
		{"overflow in number", "99999999999999999999", "out of range"},
		{"overflow with unit", "8589934592GiB", "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseBytes(tc.in)
			if err == nil {
				t.Fatalf("ParseBytes(%q) = %d, want an error", tc.in, got)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v does not wrap ErrSyntax", err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tc.in)) {
				t.Errorf("error %q does not name the input %q", err, tc.in)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", err, tc.reason)
			}
		})
	}
}

func TestBytesString(t *testing.T) {
	tests := []struct {
		in   Bytes
		want string
	}{
		{0, "0"},
		{-1, "-1"},
		{1, "1B"},
		{1000, "1000B"},
		{1536, "1536B"},
		{KiB, "1KiB"},
		{1536 * KiB, "1536KiB"},
		{MiB, "1MiB"},
		{1024 * MiB, "1GiB"},
		{5 * GiB, "5GiB"},
		{math.MaxInt64, "9223372036854775807B"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Errorf("Bytes(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
			}
			back, err := ParseBytes(tc.want)
			if err != nil || back != tc.in {
				t.Errorf("ParseBytes(%q) = %d, %v; want %d", tc.want, back, err, tc.in)
			}
			text, _ := tc.in.MarshalText()
			var u Bytes
			if err := u.UnmarshalText(text); err != nil || u != tc.in {
				t.Errorf("text round trip of %d = %d, %v", int64(tc.in), u, err)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want Rate
	}{
		{"1KiB/s", Rate(KiB)},
		{"500/s", 500},
		{"500B/s", 500},
		{" 2 MiB/s ", Rate(2 * MiB)},
		{"-1/s", -1},
		{"0/s", 0},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseRate(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseRateErrors(t *testing.T) {
	tests := []struct {
		name, in string
		names    string // the part of the input the error quotes
		reason   string
	}{
		{"size without /s", "1KiB", "1KiB", "a rate ends in /s"},
		{"per minute", "1KiB/m", "1KiB/m", "a rate ends in /s"},
		{"empty", "", "", "a rate ends in /s"},
		// The size is parsed on its own, and its error quotes the size.
		{"bad size", "1.5KiB/s", "1.5KiB", "unknown unit"},
		{"no number", "/s", "", "want an integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			if err == nil {
				t.Fatalf("ParseRate(%q) = %d, want an error", tc.in, got)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v does not wrap ErrSyntax", err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tc.names)) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q, want it to quote %q and say %q", err, tc.names, tc.reason)
			}
		})
	}
}

func TestRateString(t *testing.T) {
	tests := []struct {
		in   Rate
		want string
	}{
		{Rate(KiB), "1KiB/s"},
		{500, "500B/s"},
		{0, "0/s"},
		{-1, "-1/s"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Errorf("Rate(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
			}
			var u Rate
			if err := u.UnmarshalText([]byte(tc.want)); err != nil || u != tc.in {
				t.Errorf("UnmarshalText(%q) = %d, %v; want %d", tc.want, u, err, tc.in)
			}
		})
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"0", "1", "-1", "512KiB", "1 MiB", "3gb", "1.5MiB", "-1KiB", "99999999999999999999", "8589934592GiB", "", "-", " KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBytes(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseBytes(%q) error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		back, err := ParseBytes(b.String())
		if err != nil || back != b {
			t.Fatalf("ParseBytes(%q) = %d, which prints as %q and parses back as %d, %v", s, b, b.String(), back, err)
		}
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"1KiB/s", "500/s", "-1/s", "1KiB", "/s", "1.5KiB/s", "9223372036854775807/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseRate(%q) error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %d, which prints as %q and parses back as %d, %v", s, r, r.String(), back, err)
		}
	})
}
