package hostconfig_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/host/rediscache"
)

func TestConfigCacheRedisTopologyKeys(t *testing.T) {
	t.Setenv("TP_TEST_CACHE_KEY", base64.StdEncoding.EncodeToString(make([]byte, 32)))
	t.Setenv("TP_TEST_SENTINEL_PW", "s3ntinel")
	yaml := `cache:
  redis:
    url: redis://app:pw@sentinel-1:26379/0?addr=sentinel-2:26379
    encryption_key: ${TP_TEST_CACHE_KEY}
    master_name: tokens
    sentinel_username: sentinel
    sentinel_password: ${TP_TEST_SENTINEL_PW}
`
	cfg, err := hostconfig.Parse(strings.NewReader(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := rediscache.Topology{MasterName: "tokens", SentinelUsername: "sentinel", SentinelPassword: "s3ntinel"}
	if got := cfg.Cache.Redis.Topology; got != want {
		t.Fatalf("Topology = %+v, want %+v", got, want)
	}
	opts, err := cfg.Options(nil)
	if err != nil || len(opts) != 1 {
		t.Fatalf("Options = %d options, %v", len(opts), err)
	}
	host.NewRegistry(opts...).Close() // closes the cache

	// A bad topology is an error at its key's line.
	bad := strings.Replace(yaml, "    master_name: tokens\n", "    master_name: tokens\n    cluster: true\n", 1)
	_, err = hostconfig.Parse(strings.NewReader(bad), "t.yaml")
	if err == nil || !strings.Contains(err.Error(), "t.yaml:6: cache.redis.cluster: set Cluster for Redis Cluster or MasterName for Sentinel, not both") {
		t.Fatalf("Parse with cluster and master_name: %v", err)
	}
	if strings.Contains(err.Error(), "s3ntinel") {
		t.Fatal("the error holds the sentinel password")
	}
}
