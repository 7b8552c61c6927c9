package rediscache_test

import (
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
	"github.com/tokenplug/tokenplug/host/rediscache"
)

func TestTLSWithPrivateCAAndClientCertificateShares(t *testing.T) {
	ca := redistest.NewCA(t, "test")
	srv, clk := redistest.StartTLS(t, ca, true), newClock()
	emu, tokenURL := iamServer(t, clk, "key-A")
	cert, key := ca.Issue(t, "client")
	cfg := rediscache.Config{URL: srv.URL(), EncryptionKey: newKey(t),
		Topology: rediscache.Topology{CAFile: ca.File, CertFile: cert, KeyFile: key}}
	a := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
	b := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
	if a.token(t) != b.token(t) || emu.Issued() != 1 {
		t.Fatalf("IAM issued %d tokens to two replicas over TLS, want 1", emu.Issued())
	}
	for i, r := range []*replica{a, b} {
		if logs := r.logs.String(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "unavailable") {
			t.Errorf("replica %d logged trouble:\n%s", i, logs)
		}
	}
}

func TestTLSWrongCAIsReportedAtStartupAndRequestsFetchLocally(t *testing.T) {
	ca := redistest.NewCA(t, "test")
	srv, clk := redistest.StartTLS(t, ca, false), newClock()
	emu, tokenURL := iamServer(t, clk, "key-A")
	wrong := redistest.NewCA(t, "other")
	cfg := rediscache.Config{URL: srv.URL(), EncryptionKey: newKey(t), Topology: rediscache.Topology{CAFile: wrong.File}}
	a := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
	// Reported at startup, before any token is asked for.
	poll.Until(t, "the startup check's error", func() bool { return strings.Contains(a.logs.String(), "level=ERROR") })
	if logs := a.logs.String(); !strings.Contains(logs, "CAFile: the server's certificate is not signed by a CA in it") {
		t.Fatalf("startup log does not name CAFile:\n%s", logs)
	}
	if err := emu.Verify(a.token(t)); err != nil || emu.Issued() != 1 {
		t.Fatalf("no local fetch with a wrong CA: %v (IAM issued %d)", err, emu.Issued())
	}
}

func TestTLSMissingClientCertificateIsReportedAtStartup(t *testing.T) {
	ca := redistest.NewCA(t, "test")
	srv, clk := redistest.StartTLS(t, ca, true), newClock()
	emu, tokenURL := iamServer(t, clk, "key-A")
	cfg := rediscache.Config{URL: srv.URL(), EncryptionKey: newKey(t), Topology: rediscache.Topology{CAFile: ca.File}}
	a := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
	poll.Until(t, "the startup check's error", func() bool { return strings.Contains(a.logs.String(), "level=ERROR") })
	if logs := a.logs.String(); !strings.Contains(logs, "CertFile: the server rejected the client certificate") {
		t.Fatalf("startup log does not name CertFile:\n%s", logs)
	}
	if err := emu.Verify(a.token(t)); err != nil {
		t.Fatal(err)
	}
}

func TestTLSServerWithoutCAFileUsesSystemRoots(t *testing.T) {
	ca := redistest.NewCA(t, "test")
	srv, clk := redistest.StartTLS(t, ca, false), newClock()
	_, tokenURL := iamServer(t, clk, "key-A")
	a := newReplicaWith(t, rediscache.Config{URL: srv.URL(), EncryptionKey: newKey(t)}, clk, tokenURL, "key-A")
	poll.Until(t, "the startup check's error", func() bool { return strings.Contains(a.logs.String(), "level=ERROR") })
	if logs := a.logs.String(); !strings.Contains(logs, "CAFile") {
		t.Fatalf("a server signed by a private CA was not reported against CAFile:\n%s", logs)
	}
	a.token(t)
}

// Redis Cluster over TLS: the client verifies every node it is sent to
// (127.0.0.1 here) with the private CA, not only the seed in the URL.
func TestTLSClusterWithPrivateCAShares(t *testing.T) {
	ca := redistest.NewCA(t, "test")
	cl, clk := redistest.StartClusterTLS(t, ca), newClock()
	apikeys := []string{"key-A", "key-B", "key-C", "key-D", "key-E", "key-F"}
	emu, tokenURL := iamServer(t, clk, apikeys...)
	cfg := rediscache.Config{URL: cl.URL(), EncryptionKey: newKey(t), Topology: rediscache.Topology{Cluster: true, CAFile: ca.File}}
	for _, k := range apikeys { // several providers: several slots, several nodes
		a := newReplicaWith(t, cfg, clk, tokenURL, k)
		b := newReplicaWith(t, cfg, clk, tokenURL, k)
		if a.token(t) != b.token(t) {
			t.Fatalf("replicas of %s got different tokens over a TLS cluster", k)
		}
		if logs := a.logs.String() + b.logs.String(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "unavailable") {
			t.Fatalf("trouble with the TLS cluster:\n%s", logs)
		}
	}
	if n := emu.Issued(); n != int64(len(apikeys)) {
		t.Fatalf("IAM issued %d tokens for %d providers shared over a TLS cluster, want %d", n, len(apikeys), len(apikeys))
	}
}
