package rediscache_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
	"github.com/tokenplug/tokenplug/host/rediscache"
	"github.com/tokenplug/tokenplug/internal/rotation"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

var _ host.SettingsCache = (*rediscache.Cache)(nil)

// rotReplica is a replica whose provider is the rotation plugin against
// srv, with its initial refresh token.
func rotReplica(t *testing.T, redis *redistest.Server, cacheKey string, srv *rotation.Server) *replica {
	t.Helper()
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cache := mustNew(t, rediscache.Config{URL: redis.URL(), EncryptionKey: cacheKey, Logger: logger})
	reg := host.NewRegistry(host.WithLogger(logger), host.WithCache(cache), host.WithInvalidationWindow(0),
		host.WithBackoff(host.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}))
	t.Cleanup(func() { reg.Close() })
	err := reg.Register("rot", host.ProviderConfig{Path: testbin.Path("rotate"), Hosts: []string{"127.0.0.1"}, Settings: map[string]string{
		"token_url": srv.URL, "refresh_token": srv.Initial(), "careless": "true",
	}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source("rot")
	if err != nil {
		t.Fatal(err)
	}
	return &replica{reg: reg, src: src, logs: logs}
}

// refetch makes r fetch: as a 401 would, its token is invalidated, and
// the shared one is refused too.
func (r *replica) refetch(t *testing.T, current string) string {
	t.Helper()
	tok, err := r.src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != current {
		t.Fatalf("replica holds %q, want %q", tok.AccessToken, current)
	}
	r.src.Invalidate(tok)
	return r.token(t)
}

// RFC 6749 §6 with rotation: every replica fetches with the newest refresh
// token, whichever replica rotated it, and a new replica starts from it.
func TestReplicasFetchWithTheRefreshTokenAnyOfThemRotated(t *testing.T) {
	redis, srv := redistest.Start(t), rotation.Start("fleet")
	t.Cleanup(srv.Close)
	cacheKey := newKey(t)
	a, b := rotReplica(t, redis, cacheKey, srv), rotReplica(t, redis, cacheKey, srv)
	if got := a.token(t); got != "fleet-at-1" {
		t.Fatalf("a: %q", got)
	}
	if got := b.token(t); got != "fleet-at-1" {
		t.Fatalf("b: %q, want a's token from Redis", got)
	}
	if got := b.refetch(t, "fleet-at-1"); got != "fleet-at-2" {
		t.Fatalf("b after a rejection: %q", got)
	}
	if got := a.refetch(t, "fleet-at-1"); got != "fleet-at-2" {
		t.Fatalf("a after a rejection: %q, want b's token from Redis", got)
	}
	if got := a.refetch(t, "fleet-at-2"); got != "fleet-at-3" {
		t.Fatalf("a after another rejection: %q", got)
	}
	c := rotReplica(t, redis, cacheKey, srv) // a new replica
	if got := c.refetch(t, "fleet-at-3"); got != "fleet-at-4" {
		t.Fatalf("a new replica: %q", got)
	}
	issued := srv.Issued()
	if used := srv.Used(); strings.Join(used, ",") != strings.Join(issued[:4], ",") || srv.Refused() != 0 {
		t.Errorf("the server saw %d refresh tokens, %d refused; want the first 4 issued, in order, none refused", len(used), srv.Refused())
	}
	rdb := newClient(t, redis)
	for _, k := range allKeys(t, rdb) {
		v, _ := rdb.Get(context.Background(), k).Result()
		if strings.Contains(k+v, "SECRET") || strings.Contains(v, "refresh_token") {
			t.Errorf("Redis key %q holds a refresh token in the clear", k)
		}
	}
	for _, r := range []*replica{a, b, c} {
		r.reg.Close()
		for _, rt := range issued {
			if strings.Contains(r.logs.String(), rt) {
				t.Error("a replica's log shows a refresh token")
			}
		}
	}
}

func TestAnOlderSettingsUpdateNeverReplacesANewerOne(t *testing.T) {
	redis := redistest.Start(t)
	cacheKey := newKey(t)
	c1, c2 := newCache(t, redis, cacheKey), newCache(t, redis, cacheKey)
	ctx := ctxT(t)
	key := c1.Key("rotate", map[string]string{"refresh_token": "rt-1"})
	if err := c1.StoreSettings(ctx, key, 2, map[string]string{"refresh_token": "rt-3"}); err != nil {
		t.Fatal(err)
	}
	if err := c2.StoreSettings(ctx, key, 1, map[string]string{"refresh_token": "rt-2"}); err != nil {
		t.Fatal(err)
	}
	gen, s, err := c2.Settings(ctx, key)
	if err != nil || gen != 2 || s["refresh_token"] != "rt-3" {
		t.Fatalf("Settings = %d %v %v, want generation 2, rt-3", gen, s, err)
	}
	other := newCache(t, redis, newKey(t)) // another encryption key
	if gen, s, _ := other.Settings(ctx, key); gen != 0 || s != nil {
		t.Errorf("opened under another encryption key: %d", gen)
	}
}
