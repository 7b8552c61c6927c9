package rediscache_test

import (
	"context"
	"log"
	"os"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/rediscache"
)

// Every replica of a service configures the same Redis and encryption key;
// together they fetch one token per provider and refresh it once.
func ExampleNew() {
	cache, err := rediscache.New(rediscache.Config{
		URL:           "rediss://tokens:" + os.Getenv("REDIS_PASSWORD") + "@cache.internal:6380/0",
		EncryptionKey: os.Getenv("TOKENPLUG_CACHE_KEY"), // openssl rand -base64 32
	})
	if err != nil {
		log.Fatal(err) // names cache.redis.url or cache.redis.encryption_key
	}
	reg := host.NewRegistry(host.WithCache(cache))
	defer reg.Close() // closes the cache too
	_ = reg.Register("watson", host.ProviderConfig{Plugin: "iam", Settings: map[string]string{"apikey": os.Getenv("IBM_APIKEY")}})
	tok, err := reg.Token(context.Background(), "watson")
	if err != nil {
		log.Fatal(err)
	}
	_ = tok
}
