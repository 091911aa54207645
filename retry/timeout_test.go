package retry

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// An *Error caused by a timeout reports Timeout() through the *url.Error
// http.Client wraps it in, and matches context.DeadlineExceeded, as
// net/http's own timeout errors do, over HTTP/2 too; other failures do
// not.
func TestErrorTimeout(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		release := make(chan struct{})
		silent := newServer(t, m, func(http.ResponseWriter, *http.Request) { <-release })
		t.Cleanup(func() { close(release) }) // before the server closes
		slow := silent.base(t)
		slow.ResponseHeaderTimeout = 50 * time.Millisecond
		refused := &http.Transport{DialContext: refusingDialer(t, 100)}
		t.Cleanup(refused.CloseIdleConnections)
		live := silent.base(t)

		expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
		defer cancel()
		canceled, cancel := context.WithCancel(t.Context())
		cancel()
		tests := []struct {
			name string
			base http.RoundTripper
			ctx  context.Context
			want bool
		}{
			{"response header timeout", slow, t.Context(), true},
			{"caller's deadline passed", live, expired, true},
			{"connection refused", refused, t.Context(), false},
			{"caller canceled", live, canceled, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				client := &http.Client{Transport: mustTransport(t, tc.base, fastPolicy())}
				req, err := http.NewRequestWithContext(tc.ctx, http.MethodGet, silent.URL, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := client.Do(req)
				if err == nil {
					resp.Body.Close()
					t.Fatal("got a response, want an error")
				}
				var uerr *url.Error
				var rerr *Error
				if !errors.As(err, &uerr) || !errors.As(err, &rerr) {
					t.Fatalf("err = %#v, want a *url.Error around an *Error", err)
				}
				if uerr.Timeout() != tc.want || rerr.Timeout() != tc.want {
					t.Errorf("url.Error.Timeout() = %v, Error.Timeout() = %v, want %v (err %v)", uerr.Timeout(), rerr.Timeout(), tc.want, err)
				}
				if errors.Is(err, context.DeadlineExceeded) != tc.want {
					t.Errorf("errors.Is(err, context.DeadlineExceeded) = %v, want %v (err %v)", !tc.want, tc.want, err)
				}
			})
		}
	})
}
