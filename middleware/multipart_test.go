package middleware_test

import (
	"testing"

	"github.com/harden-go/harden/internal/servertest"
	"github.com/harden-go/harden/middleware"
)

// A multipart form the handler parses has its temporary files removed by
// net/http however many layers of the chain hand on a copy of the
// request.
func TestDefaultKeepsMultipartCleanup(t *testing.T) {
	servertest.CheckMultipartCleanup(t, middleware.Default(middleware.DefaultConfig{}))
}
