package host

import (
	"errors"
	"testing"
	"time"
)

func TestGateHoldsBackTriesUntilTheBackoffPassesThenStartsOver(t *testing.T) {
	b := Backoff{Base: time.Second, Max: time.Minute}.withDefaults()
	now := time.Unix(1000, 0)
	var g gate
	if err := g.blocked(now); err != nil {
		t.Fatalf("a new gate blocked with %v", err)
	}
	boom := errors.New("boom")
	n, d := g.fail(boom, now, b, 0)
	if n != 1 || d < b.Base/2 || d >= b.Base {
		t.Fatalf("first failure: n=%d wait=%v, want 1 and [%v, %v)", n, d, b.Base/2, b.Base)
	}
	if err := g.blocked(now.Add(d - time.Nanosecond)); err != boom {
		t.Fatalf("within the backoff: blocked=%v, want the last error", err)
	}
	if got := g.wait(now); got != d {
		t.Fatalf("wait=%v, want %v", got, d)
	}
	if err := g.blocked(now.Add(d)); err != nil {
		t.Fatalf("after the backoff: blocked=%v, want nil", err)
	}
	if n, _ := g.fail(boom, now, b, 0); n != 2 {
		t.Fatalf("second failure numbered %d", n)
	}
	if _, d := g.fail(boom, now, b, time.Hour); d != time.Hour {
		t.Fatalf("retry-after of 1h: wait=%v, want 1h", d)
	}
	g.succeed()
	if n, _ := g.fail(boom, now, b, 0); n != 1 {
		t.Fatalf("after a success the next failure is numbered %d, want 1", n)
	}
}
