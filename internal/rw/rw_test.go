package rw

import (
	"io"
	"net/http/httptest"
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
