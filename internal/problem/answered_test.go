package problem

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteRecordsAnswer(t *testing.T) {
	var a Answered
	r := httptest.NewRequest("POST", "/upload", nil)
	r = r.WithContext(WithAnswered(r.Context(), &a))
	if got := a.Code(); got != "" {
		t.Fatalf("Code before any answer = %q, want empty", got)
	}
	Write(httptest.NewRecorder(), r, http.StatusRequestEntityTooLarge, "body_too_large", "")
	Write(httptest.NewRecorder(), r, http.StatusServiceUnavailable, "handler_timeout", "")
	if got, want := a.Code(), "body_too_large"; got != want {
		t.Errorf("Code = %q, want the first answer's %q", got, want)
	}
}
