package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/internal/poll"
)

// Cluster is a Redis Cluster of three primaries (no replicas), each a
// redis-server on 127.0.0.1.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts three cluster-enabled servers and joins them with
// `redis-cli --cluster create`. It skips the test when redis-cli is not
// installed.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	return startCluster(t, 0, nil)
}

// StartClusterWithReplicas is StartCluster with a replica for each
// primary (six servers), in sync when it returns; a primary killed is
// replaced by its replica about two seconds later.
func StartClusterWithReplicas(t testing.TB) *Cluster {
	t.Helper()
	return startCluster(t, 1, nil)
}

// StartClusterTLS is StartCluster with TLS only, for clients and the
// cluster bus, every node's certificate signed by ca (for 127.0.0.1).
func StartClusterTLS(t testing.TB, ca *CA) *Cluster {
	t.Helper()
	return startCluster(t, 0, ca)
}

func startCluster(t testing.TB, replicas int, ca *CA) *Cluster {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not found on $PATH: the Redis Cluster tests need it (Debian/Ubuntu: apt-get install redis-tools)")
	}
	dir := t.TempDir()
	c := &Cluster{}
	var cliTLS []string
	if ca != nil {
		checkTLS(t)
		cliTLS = []string{"--tls", "--cacert", ca.File}
	}
	addrs := make([]string, 3*(1+replicas))
	for i := range addrs {
		port := clusterPort(t)
		args := []string{"--cluster-enabled", "yes", "--cluster-node-timeout", "1000",
			"--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port))}
		if ca == nil {
			c.Nodes = append(c.Nodes, start(t, port, args...))
		} else {
			c.Nodes = append(c.Nodes, startTLS(t, ca, false, port, append(args, "--tls-cluster", "yes", "--tls-replication", "yes")...))
		}
		addrs[i] = c.Nodes[i].Addr()
	}
	args := append(cliTLS, "--cluster", "create")
	args = append(args, addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitReady(t)
	return c
}

// URL is a cluster URL (for cache.redis.cluster: true): the first node,
// the others as addr= parameters.
func (c *Cluster) URL() string { return seedURL(c.Nodes, "") }

// waitReady waits until every node says the cluster is ok and knows
// every slot's owner.
func (c *Cluster) waitReady(t testing.TB) {
	t.Helper()
	for _, n := range c.Nodes {
		rdb := client(n)
		poll.Until(t, "redistest: cluster node "+n.Addr()+" to be ready", func() bool {
			info, err := rdb.ClusterInfo(context.Background()).Result()
			repl := replication(n)
			synced := strings.Contains(repl, "role:master") || strings.Contains(repl, "master_link_status:up")
			return err == nil && synced && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_ok:16384")
		})
		_ = rdb.Close()
	}
}

// Role is "master" or "slave": the node's role now.
func (c *Cluster) Role(t testing.TB, n *Server) string {
	t.Helper()
	for _, line := range strings.Split(replication(n), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "role:"); ok {
			return v
		}
	}
	return ""
}

// ReplicaOf returns the replica of primary.
func (c *Cluster) ReplicaOf(t testing.TB, primary *Server) *Server {
	t.Helper()
	for _, n := range c.Nodes {
		if strings.Contains(replication(n), "master_port:"+strconv.Itoa(primary.Port)+"\r") {
			return n
		}
	}
	t.Fatalf("redistest: no replica of %s", primary.Addr())
	return nil
}

// clusterPort returns a free port whose cluster bus port (+10000) is free
// too.
func clusterPort(t testing.TB) int {
	t.Helper()
	for range 100 {
		p := freePort(t)
		if p+10000 > 65535 {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		if err != nil {
			continue
		}
		_ = l.Close()
		return p
	}
	t.Fatal("no free port pair for a cluster node")
	return 0
}
