// Package poll waits, in tests, for what other goroutines or processes
// bring about: a condition checked every 10ms for at most 30s, rather than
// a sleep of a guessed length. It is for tests only.
package poll

import (
	"testing"
	"time"
)

// Wait calls cond every 10ms until it returns true, for at most 30s, and
// reports whether it did.
func Wait(cond func() bool) bool {
	for range 3000 {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// Until is Wait that fails t, naming what it waited for, if cond never
// returns true.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Wait(cond) {
		t.Fatalf("gave up after 30s waiting for %s", what)
	}
}
