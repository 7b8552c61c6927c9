package rediscache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
)

// The primary dies while a process holds a lease; the replica promoted in
// its place has the lease (replicated) but not the token. The holder, still
// alive, stores its token and releases the lease once Redis answers again,
// instead of leaving the fleet to wait for the lease to expire.
func TestLeaseLostInAFailoverIsReleasedWithTheTokenWhenRedisIsBack(t *testing.T) {
	srv := redistest.Start(t)
	cacheKey := newKey(t)
	ctx := ctxT(t)
	holder := newCache(t, srv, cacheKey)
	key := holder.Key("iam", map[string]string{"apikey": "k"})
	rdb := newClient(t, srv)
	var lease string
	tok, err := holder.Token(ctx, key, "", func(context.Context) (*oauth2.Token, error) {
		lease = rdb.Get(ctx, key+":lease").Val()
		srv.Kill() // the primary dies during the fetch: store and release fail
		return &oauth2.Token{AccessToken: "tok-1"}, nil
	})
	if err != nil || tok.AccessToken != "tok-1" || lease == "" {
		t.Fatalf("Token = %v, %v (lease %q), want tok-1 fetched under a lease", tok, err, lease)
	}
	srv.Restart() // the promoted replica, with the lease but without the token
	if err := rdb.Set(ctx, key+":lease", lease, 30*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the holder to release its lease", func() bool { return rdb.Exists(ctx, key+":lease").Val() == 0 })

	other := newCache(t, srv, cacheKey)
	got, err := other.Token(ctx, key, "", func(context.Context) (*oauth2.Token, error) {
		return nil, errors.New("fetched although the holder's token should be in Redis")
	})
	if err != nil || got.AccessToken != "tok-1" {
		t.Fatalf("Token = %v, %v, want the holder's tok-1 from Redis", got, err)
	}
}

// A lease taken over by another process after a failover is not the
// holder's any more: the holder neither deletes it nor overwrites the
// value.
func TestLeaseTakenOverAfterAFailoverIsLeftAlone(t *testing.T) {
	srv := redistest.Start(t)
	ctx := ctxT(t)
	holder := newCache(t, srv, newKey(t))
	key := holder.Key("iam", map[string]string{"apikey": "k"})
	rdb := newClient(t, srv)
	_, err := holder.Token(ctx, key, "", func(context.Context) (*oauth2.Token, error) {
		srv.Kill()
		return &oauth2.Token{AccessToken: "tok-1"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	if err := rdb.Set(ctx, key+":lease", "someone-else", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	// Wait until the holder has run its script on the restarted server,
	// which it does once Redis answers PING (most likely after the SET
	// above; if before, it found no lease of its own either).
	poll.Until(t, "the holder's script on the restarted server", func() bool { return evals(t, rdb) > 0 })
	if v := rdb.Get(ctx, key+":lease").Val(); v != "someone-else" {
		t.Fatalf("lease = %q, want the other process's", v)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Fatal("the holder stored its token under another process's lease")
	}
}
