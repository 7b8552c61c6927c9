package rediscache

import (
	"crypto/tls"
	"slices"
	"testing"
)

// Sentinel: the URL's user info authenticates to the data nodes, the
// sentinel_* settings to the sentinels; neither password goes to the
// other.
func TestSentinelCredentialsGoWhereTheyBelong(t *testing.T) {
	cn, err := newConnector(Config{URL: "redis://app:apppw@s1:26379/2?addr=s2:26379&addr=s3:26379",
		Topology: Topology{MasterName: "tokens", SentinelUsername: "sen", SentinelPassword: "senpw"}})
	if err != nil {
		t.Fatal(err)
	}
	f := cn.failover
	if f == nil || f.Username != "app" || f.Password != "apppw" || f.SentinelUsername != "sen" || f.SentinelPassword != "senpw" ||
		f.MasterName != "tokens" || f.DB != 2 || !slices.Equal(f.SentinelAddrs, []string{"s1:26379", "s2:26379", "s3:26379"}) {
		t.Fatalf("failover options = %+v", f)
	}
}

// Cluster over TLS: every node is verified against the address dialled,
// with TLS 1.2 at least and verification on.
func TestClusterTLSVerifiesEachNode(t *testing.T) {
	cn, err := newConnector(Config{URL: "rediss://app:pw@n1:6379?addr=n2:6379", Topology: Topology{Cluster: true}})
	if err != nil {
		t.Fatal(err)
	}
	c := cn.cluster
	if c == nil || !slices.Equal(c.Addrs, []string{"n1:6379", "n2:6379"}) || c.Username != "app" || c.Password != "pw" {
		t.Fatalf("cluster options = %+v", c)
	}
	if c.TLSConfig == nil || c.TLSConfig.ServerName != "" || c.TLSConfig.MinVersion < tls.VersionTLS12 || c.TLSConfig.InsecureSkipVerify {
		t.Fatalf("cluster TLS = %+v", c.TLSConfig)
	}
	if !cn.tls {
		t.Fatal("rediss:// cluster not marked TLS")
	}
}
