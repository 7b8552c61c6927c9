package rediscache_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
	"github.com/tokenplug/tokenplug/host/rediscache"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

var _ host.SharedCache = (*rediscache.Cache)(nil)

func TestMain(m *testing.M) {
	pkgs := testbin.Plugins("iam", "rotate")
	pkgs["cachehost"] = "./internal/cachehost"
	testbin.Main(m, pkgs)
}

// newKey returns a fresh encryption_key value.
func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// clock is a settable clock shared by the hosts, their caches and the
// emulator, so tests reach refresh points without sleeping.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// iamServer is an IAM emulator on a loopback port that knows apikeys.
func iamServer(t *testing.T, clk *clock, apikeys ...string) (*emulator.IAM, string) {
	t.Helper()
	emu := emulator.NewIAM()
	emu.Now = clk.Now
	for _, k := range apikeys {
		emu.AddAPIKey(k)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv.URL + "/identity/token"
}

// iamProviders is iamServer with n apikeys key-A-0 … key-A-<n-1>, one
// for each provider a cachehost process registers; it returns them too.
func iamProviders(t *testing.T, clk *clock, n int) (*emulator.IAM, string, []string) {
	t.Helper()
	apikeys := make([]string, n)
	for i := range apikeys {
		apikeys[i] = "key-A-" + strconv.Itoa(i)
	}
	emu, tokenURL := iamServer(t, clk, apikeys...)
	return emu, tokenURL, apikeys
}

// fleet is what the replicas of one fleet share: a Redis server, a clock,
// an IAM emulator that knows the API key key-A, and an encryption key.
type fleet struct {
	srv      *redistest.Server
	clk      *clock
	emu      *emulator.IAM
	tokenURL string
	cacheKey string
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{srv: redistest.Start(t), clk: newClock(), cacheKey: newKey(t)}
	f.emu, f.tokenURL = iamServer(t, f.clk, "key-A")
	return f
}

// replica starts one more replica of the fleet, its provider with key-A.
func (f *fleet) replica(t *testing.T) *replica {
	t.Helper()
	return newReplica(t, f.srv.URL(), f.cacheKey, f.clk, f.tokenURL, "key-A")
}

// providerKey is the Redis key under which the fleet's replicas, and
// cachehost processes started with key-A, keep their provider's token.
func (f *fleet) providerKey(t *testing.T) string {
	t.Helper()
	probe := mustNew(t, rediscache.Config{URL: f.srv.URL(), EncryptionKey: f.cacheKey})
	defer probe.Close()
	// cachehost runs testbin.Path("iam"), the tokenplug-iam binary: plugin name "iam".
	return probe.Key("iam", map[string]string{"apikey": "key-A", "token_url": f.tokenURL})
}

// newCache is a cache on srv with cacheKey, closed when the test ends.
func newCache(t *testing.T, srv *redistest.Server, cacheKey string) *rediscache.Cache {
	t.Helper()
	c := mustNew(t, rediscache.Config{URL: srv.URL(), EncryptionKey: cacheKey})
	t.Cleanup(func() { c.Close() })
	return c
}

func mustNew(t *testing.T, cfg rediscache.Config) *rediscache.Cache {
	t.Helper()
	c, err := rediscache.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// replica is one host process's registry, in this test process.
type replica struct {
	reg  *host.Registry
	src  *host.Source
	logs *syncbuf.Buffer
}

// newReplica returns a registry with a Redis cache and one IAM provider,
// closed when the test ends.
func newReplica(t *testing.T, redisURL, cacheKey string, clk *clock, tokenURL, apikey string) *replica {
	t.Helper()
	return newReplicaWith(t, rediscache.Config{URL: redisURL, EncryptionKey: cacheKey}, clk, tokenURL, apikey)
}

// newReplicaWith is newReplica with a cache configured by cfg (its Logger
// and Now are set here).
func newReplicaWith(t *testing.T, cfg rediscache.Config, clk *clock, tokenURL, apikey string) *replica {
	t.Helper()
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug - 8}))
	cfg.Logger, cfg.Now = logger, clk.Now
	cache := mustNew(t, cfg)
	// These tests drive fetches through the shared tier by invalidating
	// token after token; the guard against 401 storms, which would keep a
	// token re-rejected within 30s, is tested in package host.
	reg := host.NewRegistry(host.WithLogger(logger), host.WithClock(clk.Now), host.WithCache(cache),
		host.WithBackoff(host.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}), host.WithInvalidationWindow(0))
	t.Cleanup(func() { reg.Close() })
	err := reg.Register("watson", host.ProviderConfig{Path: testbin.Path("iam"), Settings: map[string]string{"apikey": apikey, "token_url": tokenURL}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source("watson")
	if err != nil {
		t.Fatal(err)
	}
	return &replica{reg: reg, src: src, logs: logs}
}

func (r *replica) token(t *testing.T) string {
	t.Helper()
	tok, err := r.src.Token(ctxT(t))
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok.AccessToken
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
