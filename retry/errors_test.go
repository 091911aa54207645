package retry

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example/v1/items", "https://api.example/v1/items"},
		{"https://user:secret@api.example/v1", "https://user:xxxxx@api.example/v1"},
		{"https://api.example/v1?api_key=s3cr3t&page=2", "https://api.example/v1?api_key=REDACTED&page=REDACTED"},
		{"https://u:p@api.example/?X-Amz-Signature=abc", "https://u:xxxxx@api.example/?X-Amz-Signature=REDACTED"},
		// The OAuth 2.0 implicit flow returns tokens in the fragment
		// (RFC 6749 §4.2.2).
		{"https://app.example/cb#access_token=s3cr3t&token_type=bearer", "https://app.example/cb#REDACTED"},
		{"https://app.example/cb?state=s3cr3t#access_token=s3cr3t", "https://app.example/cb?state=REDACTED#REDACTED"},
		{"https://app.example/cb#", "https://app.example/cb"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			u, err := url.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := RedactURL(u); got != tc.want {
				t.Errorf("RedactURL = %q, want %q", got, tc.want)
			}
		})
	}
	if got := RedactURL(nil); got != "" {
		t.Errorf("RedactURL(nil) = %q, want empty", got)
	}
}

// A token in the URL's fragment or query reaches neither the final error
// nor the debug log.
func TestErrorAndLogsRedactFragment(t *testing.T) {
	base := &http.Transport{DialContext: refusingDialer(t, 100)}
	t.Cleanup(base.CloseIdleConnections)
	core, logs := observer.New(zapcore.DebugLevel)
	tr := mustTransport(t, base, fastPolicy(), WithLogger(zap.New(core)), withClock(&fakeClock{}))
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/cb?code=s3cr3t#access_token=s3cr3t", nil)
	_, err := tr.RoundTrip(req)
	var rerr *Error
	if !errors.As(err, &rerr) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if want := "http://127.0.0.1:1/cb?code=REDACTED#REDACTED"; rerr.URL != want {
		t.Errorf("Error.URL = %q, want %q", rerr.URL, want)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q shows the token", err)
	}
	if logs.Len() == 0 {
		t.Fatal("no log entries; the test shows nothing")
	}
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			if s, ok := v.(string); ok && strings.Contains(s, "s3cr3t") {
				t.Errorf("log %q field %s = %q shows the token", e.Message, k, s)
			}
		}
	}
}

// RedactError takes the token out of the *url.Error http.Client returns,
// whose URL keeps the query and fragment, with or without a Transport of
// this package, and keeps the cause reachable.
func TestRedactError(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		srv := newServer(t, m, func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
		p := fastPolicy()
		p.MaxAttempts = 1
		tests := []struct {
			name string
			rt   http.RoundTripper
		}{
			{"net/http transport", srv.base(t)},
			{"retry transport", mustTransport(t, srv.base(t), p)},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				client := &http.Client{Transport: tc.rt}
				resp, err := client.Get(srv.URL + "/cb?api_key=s3cr3t#access_token=s3cr3t")
				if err == nil {
					resp.Body.Close()
					t.Fatal("got a response, want an error")
				}
				if !strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("client error %q already hides the token; the test shows nothing", err)
				}
				red := RedactError(err)
				if strings.Contains(red.Error(), "s3cr3t") {
					t.Errorf("RedactError = %q, shows the token", red)
				}
				var ue *url.Error
				if !errors.As(red, &ue) || ue.URL != srv.URL+"/cb?api_key=REDACTED#REDACTED" {
					t.Errorf("RedactError = %#v, want a *url.Error with the URL redacted", red)
				}
				if errors.Unwrap(red) != errors.Unwrap(err) {
					t.Errorf("RedactError wraps %v, want the cause %v", errors.Unwrap(red), errors.Unwrap(err))
				}
				if !strings.Contains(err.Error(), "s3cr3t") {
					t.Error("RedactError modified the error it was given")
				}
			})
		}
	})
	if RedactError(nil) != nil {
		t.Error("RedactError(nil) != nil")
	}
}
