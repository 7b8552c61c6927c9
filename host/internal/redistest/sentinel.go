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
	return startSentinel(t, nil, nil)
}

// StartSentinelTLS is StartSentinel with TLS only: for clients, for
// replication and for the sentinels' links to the data nodes and to each
// other. The sentinels' certificates are signed by sentinelCA, the
// primary's and the replica's by nodeCA: the same CA, or another one to
// test a client that trusts only the sentinels. It skips the test when
// redis-server was built without TLS.
func StartSentinelTLS(t testing.TB, sentinelCA, nodeCA *CA) *Sentinel {
	t.Helper()
	checkTLS(t)
	return startSentinel(t, sentinelCA, nodeCA)
}

// startSentinel starts a Sentinel setup, over TLS when the CAs are set.
func startSentinel(t testing.TB, sentinelCA, nodeCA *CA) *Sentinel {
	t.Helper()
	s := &Sentinel{MasterName: "tokens", Primary: dataNode(t, nodeCA)}
	s.Replica = dataNode(t, nodeCA, "--replicaof", "127.0.0.1", strconv.Itoa(s.Primary.Port))
	poll.Until(t, "redistest: the replica to sync", func() bool {
		return strings.Contains(replication(s.Replica), "master_link_status:up")
	})
	dir := t.TempDir()
	for i := range 3 {
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i))
		text := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\nsentinel down-after-milliseconds %[1]s 1000\nsentinel failover-timeout %[1]s 10000\n",
			s.MasterName, s.Primary.Port)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		s.Sentinels = append(s.Sentinels, sentinelNode(t, conf, dir, sentinelCA, nodeCA))
	}
	for _, sn := range s.Sentinels {
		sc := sentinelClient(sn)
		poll.Until(t, "redistest: the sentinels to know each other and the replica", func() bool {
			others, err1 := sc.Sentinels(context.Background(), s.MasterName).Result()
			replicas, err2 := sc.Replicas(context.Background(), s.MasterName).Result()
			return err1 == nil && err2 == nil && len(others) == 2 && len(replicas) == 1
		})
		_ = sc.Close()
	}
	return s
}

// dataNode starts a primary, or with --replicaof in args a replica: over
// TLS only, replication included, when ca is set.
func dataNode(t testing.TB, ca *CA, args ...string) *Server {
	t.Helper()
	if ca == nil {
		return start(t, freePort(t), args...)
	}
	return startTLS(t, ca, false, freePort(t), append([]string{"--tls-replication", "yes"}, args...)...)
}

// sentinelNode starts a sentinel from its config file conf, writing in
// dir. With ca it serves TLS only, its certificate signed by ca, and
// reaches the data nodes (signed by nodeCA) and the other sentinels over
// TLS, trusting both CAs.
func sentinelNode(t testing.TB, conf, dir string, ca, nodeCA *CA) *Server {
	t.Helper()
	port := freePort(t)
	srv := &Server{t: t, Port: port, scheme: "redis", args: []string{conf, "--dir", dir, "--sentinel"}, ready: "Sentinel ID is"}
	if ca != nil {
		srv.args = append(srv.args, tlsArgs(t, ca, port, false)...)
		// Later options override earlier ones: trust the nodes' CA too.
		srv.args = append(srv.args, "--tls-replication", "yes", "--tls-ca-cert-file", ca.bundle(t, nodeCA))
		srv.scheme, srv.tls = "rediss", ca.ClientConfig(t)
	}
	return startServer(t, srv)
}

// sentinelClient is a client of sentinel sn, for setup checks.
func sentinelClient(sn *Server) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: sn.Addr(), TLSConfig: sn.tls})
}

// URL is a Sentinel URL (with cache.redis.master_name): the first
// sentinel, the others as addr= parameters; rediss:// over TLS.
func (s *Sentinel) URL() string {
	return seedURL(s.Sentinels, "/0")
}

// MasterAddr is the primary's address as the first live sentinel reports
// it.
func (s *Sentinel) MasterAddr(t testing.TB) string {
	t.Helper()
	for _, sn := range s.Sentinels {
		sc := sentinelClient(sn)
		addr, err := sc.GetMasterAddrByName(context.Background(), s.MasterName).Result()
		_ = sc.Close()
		if err == nil && len(addr) == 2 {
			return addr[0] + ":" + addr[1]
		}
	}
	return ""
}
