// Package peers benchmarks harden beside the libraries Go teams use for
// the same jobs (chi's middleware, go-retryablehttp, failsafe-go), in a
// module of its own so that none of them enters harden's go.mod. Run it
// with: go test -run '^$' -bench . ./... from this directory.
package peers

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
