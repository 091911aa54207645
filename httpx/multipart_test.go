package httpx

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptrace"
	"os"
	"testing"
)

// The test a user would write: a default server (without the drain delay,
// so the test ends at once), http.DefaultClient, one upload large enough
// for the form to spill to disk. The server's chain hands the handler
// copies of the request, and net/http removes a parsed form's files only
// from its own request (golang/go#58809): the chain must hand the form
// back, or every upload leaves a file behind.
func TestServerRemovesMultipartFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cfg := DefaultServerConfig()
	cfg.Shutdown.DrainDelay = -1
	spilled := make(chan int, 1)
	_, addr := serve(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if err := r.ParseMultipartForm(1 << 10); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			entries, _ := os.ReadDir(tmp)
			spilled <- len(entries)
		}
	}))
	t.Cleanup(http.DefaultClient.CloseIdleConnections)

	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	fw, err := form.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(make([]byte, 64<<10))
	_ = form.Close()
	resp, err := http.Post("http://"+addr+"/upload", form.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload answered %d, want 200", resp.StatusCode)
	}
	// The handler sent the count before its answer.
	if n := <-spilled; n == 0 {
		t.Fatal("the form was not spilled to a temporary file; the test proves nothing")
	}

	// net/http removes the form's files once the handler has returned and
	// before it reads the next request on the connection: an answer to a
	// second request on the same connection means the first is finished.
	reused := false
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
	}))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !reused {
		t.Fatal("the second request did not reuse the connection; the test proves nothing")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}
