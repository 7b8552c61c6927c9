package rediscache_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
	"github.com/tokenplug/tokenplug/host/rediscache"
)

func newClient(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), TLSConfig: srv.TLSConfig()})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// allKeys scans every key in the server, as redis-cli --scan does.
func allKeys(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(context.Background(), 0, "*", 0).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func TestReplicasShareOneFetchAndOneRefresh(t *testing.T) {
	f := newFleet(t)
	emu, a, b := f.emu, f.replica(t), f.replica(t)

	first := a.token(t)
	if got := b.token(t); got != first {
		t.Fatal("the second replica did not get the first one's token from Redis")
	}
	if n := emu.Issued(); n != 1 {
		t.Fatalf("IAM issued %d tokens for two replicas, want 1", n)
	}

	// Past the refresh point (80% of IAM's hour) both replicas start a
	// background refresh at once; one fetches, the other waits for it.
	f.clk.Advance(50 * time.Minute)
	var wg sync.WaitGroup
	for _, r := range []*replica{a, b} {
		wg.Go(func() {
			if got := r.token(t); got != first {
				t.Error("a replica did not keep serving its valid token during the refresh")
			}
		})
	}
	wg.Wait()
	second := waitForNewToken(t, a, first)
	if got := waitForNewToken(t, b, first); got != second {
		t.Fatal("replicas refreshed to different tokens")
	}
	if n := emu.Issued(); n != 2 {
		t.Fatalf("IAM issued %d tokens for two replicas and one refresh, want 2", n)
	}
	if err := emu.Verify(second); err != nil {
		t.Fatal(err)
	}
}

// waitForNewToken returns r's token once its background refresh replaced
// old. It waits for an event, not for time to pass: the clock is fake.
func waitForNewToken(t *testing.T, r *replica, old string) string {
	t.Helper()
	var tok string
	poll.Until(t, "the background refresh to deliver a new token", func() bool { tok = r.token(t); return tok != old })
	return tok
}

func TestInvalidatedTokenIsReplacedOnceForAllReplicas(t *testing.T) {
	f := newFleet(t)
	emu, a, b := f.emu, f.replica(t), f.replica(t)
	old, _ := a.src.Token(ctxT(t))
	b.token(t)

	// A server rejects the token: a replaces it (force_refresh) and must
	// not get the rejected one back from Redis; b, rejected too, takes a's.
	a.src.Invalidate(old)
	fresh := a.token(t)
	if fresh == old.AccessToken {
		t.Fatal("the invalidated token came back from Redis")
	}
	b.src.Invalidate(old)
	if got := b.token(t); got != fresh {
		t.Fatal("the second replica did not take the replacement from Redis")
	}
	if n := emu.Issued(); n != 2 {
		t.Fatalf("IAM issued %d tokens, want 2 (one, and one replacement)", n)
	}
}

func TestKeysAndValuesHoldNoSecretAndDifferPerCredential(t *testing.T) {
	srv, clk := redistest.Start(t), newClock()
	apikeys := []string{"apikey-ALPHA-0123456789", "apikey-BRAVO-0123456789"}
	_, tokenURL := iamServer(t, clk, apikeys...)
	cacheKey := newKey(t)
	var tokens []string
	for _, k := range apikeys {
		tokens = append(tokens, newReplica(t, srv.URL(), cacheKey, clk, tokenURL, k).token(t))
	}
	// Same credentials, another encryption key: another fleet, another key.
	tokens = append(tokens, newReplica(t, srv.URL(), newKey(t), clk, tokenURL, apikeys[0]).token(t))

	rdb := newClient(t, srv)
	keys := allKeys(t, rdb)
	if len(keys) != 3 {
		t.Fatalf("Redis holds %d keys %q, want 3 (one per credential and encryption key)", len(keys), keys)
	}
	secrets := append(slices.Clone(apikeys), cacheKey, "apikey-", "key-")
	for _, tok := range tokens {
		parts := strings.Split(tok, ".")
		secrets = append(secrets, tok, parts[1], parts[2]) // a JWT's claims and signature
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, rediscache.DefaultKeyPrefix+"iam/") {
			t.Errorf("key %q: want prefix %q", k, rediscache.DefaultKeyPrefix+"iam/")
		}
		v, err := rdb.Get(context.Background(), k).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(k, s) || strings.Contains(string(v), s) {
				t.Errorf("key %q or its value contains a secret or token in the clear", k)
			}
		}
		// The plugin anchors the hour to its own (real) clock at receipt,
		// which runs ahead of the frozen test clock by the test's duration.
		if ttl := rdb.PTTL(context.Background(), k).Val(); ttl <= 0 || ttl > time.Hour+time.Minute {
			t.Errorf("key %q: TTL %v, want the token's remaining life", k, ttl)
		}
	}
}

func TestUndecryptableValueIsIgnoredAndOverwritten(t *testing.T) {
	f := newFleet(t)
	emu, rdb := f.emu, newClient(t, f.srv)
	if err := rdb.Set(context.Background(), f.providerKey(t), "\x01garbage that is no AES-GCM value", 0).Err(); err != nil {
		t.Fatal(err)
	}

	a := f.replica(t)
	tok := a.token(t)
	if err := emu.Verify(tok); err != nil {
		t.Fatalf("got %v, want a token from IAM", err)
	}
	if !strings.Contains(a.logs.String(), "does not decrypt") {
		t.Error("no log line about the undecryptable value")
	}
	b := f.replica(t)
	if b.token(t) != tok || emu.Issued() != 1 {
		t.Fatalf("the garbage was not overwritten with the new token (IAM issued %d)", emu.Issued())
	}
}

func TestLeaseOfAHolderThatDiedExpires(t *testing.T) {
	f := newFleet(t)
	emu, a, key := f.emu, f.replica(t), f.providerKey(t)
	// A holder took the lease and died: nobody will publish.
	rdb := newClient(t, f.srv)
	if err := rdb.Set(context.Background(), key+":lease", "dead-holder", 500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if err := emu.Verify(a.token(t)); err != nil {
		t.Fatal(err)
	}
	if n := emu.Issued(); n != 1 {
		t.Fatalf("IAM issued %d, want 1", n)
	}
}

func TestWaiterThatGivesUpReturnsWithoutFetching(t *testing.T) {
	srv := redistest.Start(t)
	c := newCache(t, srv, newKey(t))
	key := c.Key("iam", map[string]string{"apikey": "k"})
	rdb := newClient(t, srv)
	// Another process holds the lease and is still fetching.
	if err := rdb.Set(context.Background(), key+":lease", "other", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Token(ctx, key, "", func(context.Context) (*oauth2.Token, error) {
			t.Error("a waiter fetched while another process held the lease")
			return nil, errors.New("unexpected fetch")
		})
		done <- err
	}()
	// Give up once the waiter listens for the holder's notification.
	poll.Until(t, "the waiter to subscribe", func() bool {
		n, _ := rdb.PubSubNumSub(context.Background(), key+":ready").Result()
		return n[key+":ready"] == 1
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Token = %v, want context.Canceled", err)
	}
}
