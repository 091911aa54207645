package rw

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// readFromWriter has ReadFrom and counts its calls.
type readFromWriter struct {
	*httptest.ResponseRecorder
	calls int
}

func (w *readFromWriter) ReadFrom(src io.Reader) (int64, error) {
	w.calls++
	return io.Copy(w.ResponseRecorder, src)
}

// ReadFrom uses the writer's own ReadFrom when it has one, and Write
// otherwise; either way everything arrives.
func TestReadFrom(t *testing.T) {
	with := &readFromWriter{ResponseRecorder: httptest.NewRecorder()}
	if n, err := ReadFrom(with, io.LimitReader(strings.NewReader("hello"), 5)); n != 5 || err != nil || with.calls != 1 || with.Body.String() != "hello" {
		t.Errorf("with ReadFrom: %d, %v, %d calls, %q", n, err, with.calls, with.Body.String())
	}
	without := httptest.NewRecorder()
	if n, err := ReadFrom(without, io.LimitReader(strings.NewReader("hello"), 5)); n != 5 || err != nil || without.Body.String() != "hello" {
		t.Errorf("without ReadFrom: %d, %v, %q", n, err, without.Body.String())
	}
}

func TestCloneHeader(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
	}{
		{"nil", nil},
		{"empty", http.Header{}},
		{"one value", http.Header{"X-Request-Id": {"a"}}},
		{"one value each", http.Header{"A": {"1"}, "B": {"2"}, "C": {"3"}}},
		{"several values", http.Header{"Vary": {"Origin", "Accept"}, "X-Request-Id": {"a"}, "Set-Cookie": {"a=1", "b=2", "c=3"}}},
		{"nil value", http.Header{"X-Empty": nil, "X-Request-Id": {"a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.h.Clone()
			if want == nil {
				want = http.Header{}
			}
			var buf [2]string
			for _, b := range [][]string{nil, buf[:0]} {
				if c := CloneHeader(tc.h, b); !reflect.DeepEqual(c, want) {
					t.Fatalf("CloneHeader(%v, %d-value buffer) = %v, want %v", tc.h, cap(b), c, want)
				}
			}
			c := CloneHeader(tc.h, buf[:0])
			// An append to one value slice leaves the others alone.
			for k := range c {
				c[k] = append(c[k], "appended")
			}
			for k, vv := range c {
				if len(want[k]) > 0 && !reflect.DeepEqual(vv[:len(vv)-1], want[k]) {
					t.Errorf("%s = %v after appends to every value, want %v and one more", k, vv, want[k])
				}
			}
			// A change to the copy leaves the original alone.
			for _, vv := range c {
				for i := range vv {
					vv[i] = "changed"
				}
			}
			if tc.h != nil && !reflect.DeepEqual(tc.h, want) {
				t.Errorf("changing the copy changed the original: %v", tc.h)
			}
		})
	}
}
