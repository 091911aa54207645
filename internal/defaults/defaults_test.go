package defaults

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestSet(t *testing.T) {
	zero, set := 0, 7
	Set(&zero, 3)
	Set(&set, 3)
	if zero != 3 || set != 7 {
		t.Errorf("Set: zero became %d (want 3), a set field %d (want 7)", zero, set)
	}
	neg := -1
	if Set(&neg, 3); neg != -1 {
		t.Errorf("Set replaced a negative value: %d", neg)
	}
}
