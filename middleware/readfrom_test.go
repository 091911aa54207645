package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harden-go/harden/limits"
	"github.com/harden-go/harden/middleware"
)

// readFromRecorder is a ResponseWriter with io.ReaderFrom, as net/http's
// HTTP/1 one has it (and uses sendfile in it); it counts the calls.
type readFromRecorder struct {
	*httptest.ResponseRecorder
	readFroms int
}

func (r *readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.readFroms++
	return io.Copy(r.ResponseRecorder, src)
}

// A handler that copies a file to its ResponseWriter reaches the
// server's ReadFrom through every layer, so that net/http can send the
// file with sendfile instead of copying it through user space.
func TestFileCopyReachesReadFrom(t *testing.T) {
	logger, _ := newLog()
	file := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(file, []byte("<p>hello</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	serveFile := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		f, err := os.Open(file)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		_, _ = io.Copy(w, f) // *os.File's WriteTo falls back to w's ReadFrom
	})
	for _, tc := range []struct {
		name string
		mw   func(http.Handler) http.Handler
	}{
		{"AccessLog", middleware.AccessLog(middleware.WithLogger(logger))},
		{"Recover", middleware.Recover()},
		{"Timeout", middleware.Timeout(time.Minute)},
		{"Body", limits.Body(1 << 10)},
		{"Progress", limits.Progress(limits.ProgressConfig{})},
		{"Default", middleware.Default(middleware.DefaultConfig{}, middleware.WithLogger(logger))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}
			req := httptest.NewRequest(http.MethodPost, "/page", strings.NewReader("form"))
			tc.mw(serveFile).ServeHTTP(w, req)
			if w.readFroms != 1 || w.Body.String() != "<p>hello</p>" || w.Code != http.StatusOK {
				t.Errorf("ReadFrom called %d times, answered %d %q; want once, 200 and the file", w.readFroms, w.Code, w.Body.String())
			}
		})
	}
}
