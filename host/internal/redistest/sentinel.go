package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tokenplug/tokenplug/host/internal/poll"
)

// Sentinel is a primary, its replica and three sentinels monitoring them
// under MasterName, with a quorum of two and a one-second down-after, so
// that a killed primary is replaced within seconds.
type Sentinel struct {
	MasterName string
	Primary    *Server
	Replica    *Server
	Sentinels  []*Server
}

// StartSentinel starts the primary, the replica (synced) and the
// sentinels (each knowing the replica and the two other sentinels).
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	s := &Sentinel{MasterName: "tokens", Primary: Start(t)}
	s.Replica = start(t, freePort(t), "--replicaof", "127.0.0.1", strconv.Itoa(s.Primary.Port))
	poll.Until(t, "redistest: the replica to sync", func() bool {
		return strings.Contains(replication(s.Replica), "master_link_status:up")
	})
	dir := t.TempDir()
	for i := range 3 {
		port := freePort(t)
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i))
		text := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\nsentinel down-after-milliseconds %[1]s 1000\nsentinel failover-timeout %[1]s 10000\n",
			s.MasterName, s.Primary.Port)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		s.Sentinels = append(s.Sentinels, startServer(t, &Server{t: t, Port: port, scheme: "redis",
			args: []string{conf, "--dir", dir, "--sentinel"}, ready: "Sentinel ID is"}))
	}
	for _, sn := range s.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr()})
		poll.Until(t, "redistest: the sentinels to know each other and the replica", func() bool {
			others, err1 := sc.Sentinels(context.Background(), s.MasterName).Result()
			replicas, err2 := sc.Replicas(context.Background(), s.MasterName).Result()
			return err1 == nil && err2 == nil && len(others) == 2 && len(replicas) == 1
		})
		_ = sc.Close()
	}
	return s
}

// URL is a Sentinel URL (with cache.redis.master_name): the first
// sentinel, the others as addr= parameters.
func (s *Sentinel) URL() string {
	return seedURL(s.Sentinels, "/0")
}

// MasterAddr is the primary's address as the first live sentinel reports
// it.
func (s *Sentinel) MasterAddr(t testing.TB) string {
	t.Helper()
	for _, sn := range s.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: sn.Addr()})
		addr, err := sc.GetMasterAddrByName(context.Background(), s.MasterName).Result()
		_ = sc.Close()
		if err == nil && len(addr) == 2 {
			return addr[0] + ":" + addr[1]
		}
	}
	return ""
}
