package host_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
	"github.com/tokenplug/tokenplug/host/rediscache"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// recordingCache is a SharedCache that stores nothing and records how the
// registry uses it.
type recordingCache struct {
	mu       sync.Mutex // guards the fields below
	keys     []string   // "<plugin>" per Key call
	settings map[string]string
	rejected []string // per Token call
	fetched  []*oauth2.Token
	closed   int
}

func (c *recordingCache) Key(pluginName string, settings map[string]string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys, c.settings = append(c.keys, pluginName), settings
	return "k/" + pluginName
}

func (c *recordingCache) Token(ctx context.Context, key, rejected string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	tok, err := fetch(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rejected = append(c.rejected, rejected)
	c.fetched = append(c.fetched, tok)
	return tok, err
}

func (c *recordingCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed++
	return nil
}

func TestRegistryFetchesThroughTheSharedCacheAndClosesIt(t *testing.T) {
	cache := &recordingCache{}
	now := time.Now()
	reg, _ := newRegistry(t, host.WithCache(cache), host.WithClock(func() time.Time { return now }))
	settings := symphonySettings()
	src := mustSource(t, reg, "sym", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: settings})

	tok := mustToken(t, src)
	src.Invalidate(tok)
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	reg.Close()

	cache.mu.Lock()
	defer cache.mu.Unlock()
	if len(cache.keys) != 1 || cache.keys[0] != "symphony" || cache.settings["public_key_name"] != "acme" {
		t.Fatalf("Key calls = %q with %v, want one for plugin symphony with its settings", cache.keys, cache.settings)
	}
	if len(cache.rejected) != 2 || cache.rejected[0] != "" || cache.rejected[1] != tok.AccessToken {
		t.Fatal("the second fetch did not name the invalidated token as rejected")
	}
	// Symphony tokens live 25 minutes by default: the stored refresh point
	// is 80% in.
	want := now.Add(20 * time.Minute)
	if at := plugin.RefreshAtOf(cache.fetched[0]); at.Sub(want).Abs() > 2*time.Second {
		t.Fatalf("refresh_at = %v, want the host's refresh point %v", at, want)
	}
	if cache.closed != 1 {
		t.Fatalf("cache closed %d times by Registry.Close, want 1", cache.closed)
	}
}

// BenchmarkCachedToken measures the hot path, a valid cached token, with
// and without the Redis tier: the tier sits behind the in-memory cache, so
// both must be the same atomic load.
func BenchmarkCachedToken(b *testing.B) {
	srv := redistest.Start(b)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	for _, tier := range []string{"memory", "redis"} {
		b.Run(tier, func(b *testing.B) {
			opts := []host.Option{host.WithLogger(slog.New(slog.DiscardHandler))}
			if tier == "redis" {
				c, err := rediscache.New(rediscache.Config{URL: srv.URL(), EncryptionKey: base64.StdEncoding.EncodeToString(key)})
				if err != nil {
					b.Fatal(err)
				}
				opts = append(opts, host.WithCache(c))
			}
			reg := host.NewRegistry(opts...)
			defer reg.Close()
			if err := reg.Register("sym", host.ProviderConfig{Path: testbin.Path("symphony"), Settings: symphonySettings()}); err != nil {
				b.Fatal(err)
			}
			src, _ := reg.Source("sym")
			ctx := context.Background()
			if _, err := src.Token(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := src.Token(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// hostconfig gives the file's cache first and the caller's WithCache
// after it: the replaced one is the Registry's too, and must not leak.
func TestALaterWithCacheReplacesAndClosesTheEarlierOne(t *testing.T) {
	fromFile, fromCaller := &recordingCache{}, &recordingCache{}
	reg := host.NewRegistry(host.WithCache(fromFile), host.WithCache(fromCaller), host.WithCache(fromCaller))
	if fromFile.closed != 1 || fromCaller.closed != 0 {
		t.Errorf("after NewRegistry: replaced cache closed %d times, kept one %d; want 1 and 0", fromFile.closed, fromCaller.closed)
	}
	reg.Close()
	if fromFile.closed != 1 || fromCaller.closed != 1 {
		t.Errorf("after Close: closed %d and %d times; want 1 and 1", fromFile.closed, fromCaller.closed)
	}
}
