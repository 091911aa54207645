package tlstest

// TB is the part of [testing.TB] that tlstest uses: *testing.T,
// *testing.B and *testing.F satisfy it. Every function that takes a TB
// reports a failure with Fatalf, so it never returns a half-built value,
// and writes its files under directories from TempDir, which the testing
// package removes when the test ends.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	TempDir() string
}

// failOn fails t with err, which names tlstest and what failed, unless
// err is nil. Each TB form (NewCA, CA.Server, ...) is its error-returning
// form (NewCAIn, CA.ServerIn, ...) followed by failOn.
func failOn(t TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v", err)
	}
}
