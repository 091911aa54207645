package middleware_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"testing"

	"github.com/harden-go/harden/middleware"
)

// A multipart form the handler parses has its temporary files removed by
// net/http however many layers of the chain hand on a copy of the
// request.
func TestDefaultKeepsMultipartCleanup(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	spilled := make(chan int, 1)
	ts := newServer(t, http1Mode, middleware.Default(middleware.DefaultConfig{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 10); err != nil { // the file part goes to disk
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		entries, _ := os.ReadDir(tmp)
		spilled <- len(entries)
	})))
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(make([]byte, 64<<10))
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, ts.URL, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp := do(t, ts, http1Mode, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("answer %d, want 200", resp.StatusCode)
	}
	if n := receive(t, spilled, "temporary file count"); n == 0 {
		t.Fatal("the form was not spilled to a temporary file; the test proves nothing")
	}
	ts.Close() // returns once net/http has finished the request
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}
