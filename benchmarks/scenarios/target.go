package scenarios

import (
	"context"
	"net"
	"net/http"
)

// ZeroValue returns the baseline target: an [http.Server] with nothing but
// its Handler set, as most Go services start. Its shutdown function is
// [http.Server.Shutdown].
func ZeroValue() Target {
	return Target{
		Name: "net/http zero value",
		Serve: func(l net.Listener, h http.Handler) (func(context.Context) error, error) {
			srv := &http.Server{Handler: h}
			// Serve returns when the scenario closes l or calls Shutdown.
			go func() { _ = srv.Serve(l) }()
			return srv.Shutdown, nil
		},
	}
}
