package rediscache_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// leaseFixture is a fleet whose members are cachehost processes, a client
// of its Redis and the Redis key of their provider's token.
type leaseFixture struct {
	*fleet
	rdb *redis.Client
	key string // the provider's Redis key
}

func newLeaseFixture(t *testing.T) (*leaseFixture, func() int64) {
	t.Helper()
	f := &leaseFixture{fleet: newFleet(t)}
	f.key, f.rdb = f.providerKey(t), newClient(t, f.srv)
	return f, f.emu.Issued
}

// race starts n cachehost processes with the given fetch timeout (a
// waiter gives up after half of it), lets them ask at once, and returns
// their tokens; a process that fails fails the test.
func (f *leaseFixture) race(t *testing.T, n int, timeout string) []string {
	t.Helper()
	return askAll(t, startHosts(t, n, f.tokenURL, f.srv.URL(), "key-A", f.cacheKey, "CACHEHOST_FETCH_TIMEOUT="+timeout))
}

func TestLeaseWithoutExpiryIsTakenOverNotWaitedFor(t *testing.T) {
	f, issued := newLeaseFixture(t)
	ctx := context.Background()
	// Left by a crashed tool, or planted: a lease no cache would write.
	if err := f.rdb.Set(ctx, f.key+":lease", "stuck", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// A generous timeout: waiters must outwait the process that took the
	// lease over while it starts its plugin on a loaded machine.
	tokens := f.race(t, 3, "40s")
	for i, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("process %d got another token: the garbage lease was not taken over by one process", i)
		}
	}
	if n := issued(); n != 1 {
		t.Fatalf("IAM issued %d tokens to 3 processes, want 1", n)
	}
	if n := f.rdb.Exists(ctx, f.key).Val(); n != 1 {
		t.Fatal("the token was not stored under the provider's key")
	}
	if v := f.rdb.Get(ctx, f.key+":lease").Val(); v == "stuck" {
		t.Fatal("the lease without expiry is still there")
	}
}

func TestHungLeaseHolderDelaysTheReplicasButFailsNone(t *testing.T) {
	f, issued := newLeaseFixture(t)
	// A holder that took the lease for a minute and hangs.
	if err := f.rdb.Set(context.Background(), f.key+":lease", "hung-holder", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	f.race(t, 3, "10s") // each process prints a token or fails the test
	if n := issued(); n < 1 || n > 3 {
		t.Fatalf("IAM issued %d tokens to 3 processes, want 1 to 3 (each may fetch for itself)", n)
	}
}
