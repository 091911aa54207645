package problem

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/harden-go/harden/internal/reqid"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name      string
		requestID string
	}{
		{"with request ID", "req-1"},
		{"without request ID", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/upload", nil)
			if tc.requestID != "" {
				r = r.WithContext(reqid.With(r.Context(), tc.requestID))
			}
			w := httptest.NewRecorder()
			w.Header().Set("Connection", "close")
			w.Header().Set("ETag", `"stale"`)
			Write(w, r, http.StatusRequestEntityTooLarge, "body_too_large", "the limit is 1MiB")

			res := w.Result()
			if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != ContentType {
				t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Content-Type"))
			}
			if res.Header.Get("Connection") != "close" || res.Header.Get("ETag") != "" {
				t.Errorf("headers %v: want Connection kept and validators dropped", res.Header)
			}
			if res.Header.Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
				t.Errorf("Content-Length %q for a %d-byte body", res.Header.Get("Content-Length"), w.Body.Len())
			}
			var d Details
			if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
				t.Fatal(err)
			}
			want := Details{Type: "about:blank", Title: "Request Entity Too Large", Status: 413, Code: "body_too_large", Detail: "the limit is 1MiB", RequestID: tc.requestID}
			if d != want {
				t.Errorf("body = %+v, want %+v", d, want)
			}
		})
	}
}
