package harden

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"30s", 30 * Second},
		{"1m30s", 90 * Second},
		{"100ms", 100 * Millisecond},
		{"1.5s", 1500 * Millisecond},
		{"2h", 2 * Hour},
		{"-1s", -Second},
		{" 5s\t", 5 * Second},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseDurationErrors(t *testing.T) {
	for _, in := range []string{"", "5", "-1", "5 seconds", "1d", "s", "99999999999h"} {
		t.Run(in, func(t *testing.T) {
			got, err := ParseDuration(in)
			if err == nil {
				t.Fatalf("ParseDuration(%q) = %v, want an error", in, got)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v does not wrap ErrSyntax", err)
			}
			if !strings.Contains(err.Error(), "invalid duration "+strconv.Quote(in)) {
				t.Errorf("error %q does not name the input %q", err, in)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   Duration
		want string
	}{
		{0, "0s"},
		{-Second, "-1s"},
		{5 * Second, "5s"},
		{120 * Second, "120s"},
		{Hour, "3600s"},
		{100 * Millisecond, "100ms"},
		{1500 * Millisecond, "1.5s"},
		{-250 * Millisecond, "-250ms"},
		{Duration(math.MinInt64), time.Duration(math.MinInt64).String()},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Errorf("Duration(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
			}
			var back Duration
			if err := back.UnmarshalText([]byte(tc.want)); err != nil || back != tc.in {
				t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tc.want, back, err, tc.in)
			}
		})
	}
}

func TestDurationStd(t *testing.T) {
	if got := (30 * Second).Std(); got != 30*time.Second {
		t.Errorf("Std() = %v, want 30s", got)
	}
}

// units is a struct of every unit type, as a config holds them.
type units struct {
	D Duration `json:"d"`
	B Bytes    `json:"b"`
	R Rate     `json:"r"`
}

func TestJSON(t *testing.T) {
	in := units{D: -Second, B: 64 * KiB, R: Rate(35 * KiB)}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), `{"d":"-1s","b":"64KiB","r":"35KiB/s"}`; got != want {
		t.Errorf("json.Marshal = %s, want %s", got, want)
	}
	var out units
	if err := json.Unmarshal(data, &out); err != nil || out != in {
		t.Errorf("json.Unmarshal(%s) = %+v, %v; want %+v", data, out, err, in)
	}
}

// TestJSONNumbers reads bare JSON numbers as YAML reads the same plain
// scalars: bytes are bytes, zero is zero, and a duration or rate without
// its unit is refused rather than guessed.
func TestJSONNumbers(t *testing.T) {
	tests := []struct {
		name, in string
		want     units
		err      bool
	}{
		{"bytes", `{"b": 1048576}`, units{B: MiB}, false},
		{"negative bytes", `{"b": -1}`, units{B: -1}, false},
		{"zero duration", `{"d": 0}`, units{}, false},
		{"null", `{"d": null, "b": null}`, units{}, false},
		{"duration without unit", `{"d": 5}`, units{}, true},
		{"rate without /s", `{"r": 500}`, units{}, true},
		{"fraction", `{"b": 1.5}`, units{}, true},
		{"bool", `{"d": true}`, units{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got units
			err := json.Unmarshal([]byte(tc.in), &got)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("json.Unmarshal(%s) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "0s", "-1s", "30s", "1m30s", "1.5s", "100ms", "1h", "5", "-9223372036854775808ns", "2562047h47m16.854775807s", "1µs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseDuration(%q) error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %d, which prints as %q and parses back as %d, %v", s, d, d.String(), back, err)
		}
	})
}

// FuzzFormat checks parse(format(x)) == x for every value of each type.
func FuzzFormat(f *testing.F) {
	for _, n := range []int64{0, 1, -1, 1 << 20, 1500000000, math.MaxInt64, math.MinInt64} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		if d, err := ParseDuration(Duration(n).String()); err != nil || d != Duration(n) {
			t.Errorf("Duration %d prints as %q, parses back as %d, %v", n, Duration(n).String(), d, err)
		}
		if b, err := ParseBytes(Bytes(n).String()); err != nil || b != Bytes(n) {
			t.Errorf("Bytes %d prints as %q, parses back as %d, %v", n, Bytes(n).String(), b, err)
		}
		if r, err := ParseRate(Rate(n).String()); err != nil || r != Rate(n) {
			t.Errorf("Rate %d prints as %q, parses back as %d, %v", n, Rate(n).String(), r, err)
		}
	})
}
