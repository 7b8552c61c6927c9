package netguard

import (
	"context"
	"errors"
	"net"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLoopbackJudgesWithoutLookingUp(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:80": true, "127.3.4.5:1": true, "[::1]:443": true, "localhost:8080": true, "LOCALHOST.:1": true,
		"vendor.invalid:443": false, "10.0.0.1:80": false, "[2001:db8::1]:443": false, "localhost.vendor.invalid:1": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// While a watch lasts, a dial to a name that is not loopback is refused
// before next (which would look the name up) is called, and recorded.
func TestDialRefusesAndRecordsWhileWatched(t *testing.T) {
	calls := 0
	next := func(context.Context, string, string) (net.Conn, error) { calls++; return nil, errors.New("dialled") }
	dial := Dial(next)
	if _, err := dial(context.Background(), "tcp", "vendor.invalid:443"); err == nil || err.Error() != "dialled" {
		t.Fatalf("unwatched: %v, want next's error", err)
	}
	w := Watch()
	_, err := dial(context.Background(), "tcp", "vendor.invalid:443")
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Addr != "vendor.invalid:443" {
		t.Errorf("watched: %v, want a RefusedError naming the address", err)
	}
	if _, err := dial(context.Background(), "tcp", "127.0.0.1:1"); err == nil || err.Error() != "dialled" {
		t.Errorf("watched loopback: %v, want next's error", err)
	}
	if got := w.Take(); len(got) != 1 || got[0] != "vendor.invalid:443" || calls != 2 {
		t.Errorf("recorded %q with %d dials, want vendor.invalid:443 and 2", got, calls)
	}
	w.Stop()
	r := Restrict(next, func(addr string) { calls += 10 })
	if _, err := r(context.Background(), "tcp", "10.1.2.3:80"); !errors.As(err, &refused) || calls != 12 {
		t.Errorf("Restrict: %v, %d", err, calls)
	}
}
