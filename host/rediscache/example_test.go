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
		log.Fatal(err) // a *rediscache.FieldError naming URL or EncryptionKey
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

// Redis behind Sentinel, over TLS with a private CA: the URL names the
// sentinels and the data nodes' ACL user; the sentinels have their own.
func ExampleNew_sentinel() {
	cache, err := rediscache.New(rediscache.Config{
		URL:           "rediss://tokens:" + os.Getenv("REDIS_PASSWORD") + "@sentinel-1:26379/0?addr=sentinel-2:26379&addr=sentinel-3:26379",
		EncryptionKey: os.Getenv("TOKENPLUG_CACHE_KEY"),
		Topology: rediscache.Topology{
			MasterName:       "tokens",
			SentinelUsername: "sentinel",
			SentinelPassword: os.Getenv("SENTINEL_PASSWORD"),
			CAFile:           "/etc/tokenplug/redis-ca.pem",
		},
	})
	if err != nil {
		log.Fatal(err) // names the field, e.g. CAFile
	}
	reg := host.NewRegistry(host.WithCache(cache))
	defer reg.Close()
}

// Redis Cluster: the URL names seed nodes.
func ExampleNew_cluster() {
	cache, err := rediscache.New(rediscache.Config{
		URL:           "redis://tokens:" + os.Getenv("REDIS_PASSWORD") + "@node-1:6379?addr=node-2:6379&addr=node-3:6379",
		EncryptionKey: os.Getenv("TOKENPLUG_CACHE_KEY"),
		Topology:      rediscache.Topology{Cluster: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	reg := host.NewRegistry(host.WithCache(cache))
	defer reg.Close()
}
