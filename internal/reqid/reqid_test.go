package reqid

import (
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	if got := From(ctx); got != "" {
		t.Fatalf("From(empty) = %q", got)
	}
	if got := From(With(ctx, "abc")); got != "abc" {
		t.Fatalf("From(With(abc)) = %q", got)
	}
}

// fieldCtx carries the ID in a field, as middleware's request state does.
type fieldCtx struct {
	context.Context
	id string
}

func (c *fieldCtx) Value(key any) any {
	if _, ok := key.(Key); ok {
		return &c.id
	}
	return c.Context.Value(key)
}

func TestFromField(t *testing.T) {
	if got := From(&fieldCtx{Context: context.Background(), id: "abc"}); got != "abc" {
		t.Fatalf("From(field abc) = %q", got)
	}
}
