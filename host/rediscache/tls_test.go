package rediscache_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
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
	noTrouble(t, a, b)
}

// A TLS problem with one server is reported at startup, naming the
// setting to fix, and requests fetch locally: a CAFile that did not sign
// the server's certificate, a client certificate missing where the server
// requires one, and a server signed by a private CA with no CAFile (the
// system's roots).
func TestTLSProblemIsReportedAtStartupAndRequestsFetchLocally(t *testing.T) {
	ca, other := redistest.NewCA(t, "test"), redistest.NewCA(t, "other")
	for _, tc := range []struct {
		name        string
		clientCerts bool   // the server requires a client certificate
		caFile      string // the client's CAFile
		want        string
	}{
		{"wrong CA", false, other.File, "CAFile: the server's certificate is not signed by a CA in it"},
		{"missing client certificate", true, ca.File, "CertFile: the server rejected the client certificate"},
		{"private CA without CAFile", false, "", "CAFile: the server's certificate is not signed by a CA in it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, clk := redistest.StartTLS(t, ca, tc.clientCerts), newClock()
			emu, tokenURL := iamServer(t, clk, "key-A")
			cfg := rediscache.Config{URL: srv.URL(), EncryptionKey: newKey(t), Topology: rediscache.Topology{CAFile: tc.caFile}}
			a := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
			reportedThenFetchesLocally(t, a, emu, tc.want)
		})
	}
}

// A first handshake that times out (the system's roots loading, a server
// still starting) does not hide a TLS problem: the startup check pings
// again and reports it.
func TestTLSProblemIsReportedEvenWhenTheFirstHandshakeTimesOut(t *testing.T) {
	ca, other := redistest.NewCA(t, "test"), redistest.NewCA(t, "other")
	srv, clk := redistest.StartTLS(t, ca, false), newClock()
	proxy := stallFirst(t, srv.Addr())
	emu, tokenURL := iamServer(t, clk, "key-A")
	cfg := rediscache.Config{URL: strings.Replace(srv.URL(), srv.Addr(), proxy, 1), EncryptionKey: newKey(t),
		Timeout: 200 * time.Millisecond, Topology: rediscache.Topology{CAFile: other.File}}
	a := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
	reportedThenFetchesLocally(t, a, emu, "CAFile: the server's certificate is not signed by a CA in it")
}

// stallFirst forwards the connections it accepts on 127.0.0.1 to addr,
// except the first, which it holds open and never answers. It returns its
// address; it stops, closing every connection, when the test ends.
func stallFirst(t *testing.T, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // guards conns
		conns []net.Conn
	)
	track := func(c net.Conn) {
		mu.Lock()
		defer mu.Unlock()
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			if n == 0 {
				continue // held, unanswered
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			track(up)
			for _, p := range [][2]net.Conn{{up, c}, {c, up}} {
				wg.Go(func() {
					_, _ = io.Copy(p[0], p[1])
					p[0].Close()
					p[1].Close()
				})
			}
		}
	})
	return ln.Addr().String()
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
		noTrouble(t, a, b)
	}
	if n := emu.Issued(); n != int64(len(apikeys)) {
		t.Fatalf("IAM issued %d tokens for %d providers shared over a TLS cluster, want %d", n, len(apikeys), len(apikeys))
	}
}

// Sentinel over TLS: the client verifies the sentinels and the primary
// they name (127.0.0.1 here) with the private CA, and two caches share a
// token through the primary.
func TestTLSSentinelWithPrivateCAShares(t *testing.T) {
	ca := redistest.NewCA(t, "test")
	sn, clk := redistest.StartSentinelTLS(t, ca, ca), newClock()
	emu, tokenURL := iamServer(t, clk, "key-A")
	cfg := rediscache.Config{URL: sn.URL(), EncryptionKey: newKey(t),
		Topology: rediscache.Topology{MasterName: sn.MasterName, CAFile: ca.File}}
	a := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
	b := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
	if a.token(t) != b.token(t) || emu.Issued() != 1 {
		t.Fatalf("IAM issued %d tokens to two replicas over TLS Sentinel, want 1", emu.Issued())
	}
	if keys := allKeys(t, newClient(t, sn.Primary)); len(keys) == 0 {
		t.Fatal("nothing stored on the primary the sentinels name")
	}
	noTrouble(t, a, b)
}

// Under Sentinel, a certificate that does not verify, a sentinel's or the
// primary's a sentinel names, keeps the cache off Redis: reported at
// startup naming CAFile, and every token is fetched locally.
func TestTLSSentinelCertificateThatDoesNotVerifyIsRefused(t *testing.T) {
	ca, other := redistest.NewCA(t, "test"), redistest.NewCA(t, "other")
	for _, tc := range []struct {
		name       string
		nodeCA     *redistest.CA // signs the primary and replica; ca signs the sentinels
		trusted    *redistest.CA // the client's CAFile
		atSentinel bool          // the handshake fails with the sentinels, not the primary
	}{
		{"sentinels not signed by the CAFile", ca, other, true},
		{"primary not signed by the CAFile", other, ca, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sn, clk := redistest.StartSentinelTLS(t, ca, tc.nodeCA), newClock()
			emu, tokenURL := iamServer(t, clk, "key-A")
			cfg := rediscache.Config{URL: sn.URL(), EncryptionKey: newKey(t),
				Topology: rediscache.Topology{MasterName: sn.MasterName, CAFile: tc.trusted.File}}
			a := newReplicaWith(t, cfg, clk, tokenURL, "key-A")
			reportedThenFetchesLocally(t, a, emu, "CAFile: the server's certificate is not signed by a CA in it")
			if got := strings.Contains(a.logs.String(), "sentinels specified in configuration are unreachable"); got != tc.atSentinel {
				t.Errorf("failed at the sentinels: %v, want %v:\n%s", got, tc.atSentinel, a.logs.String())
			}
			if keys := allKeys(t, newClient(t, sn.Primary)); len(keys) != 0 {
				t.Errorf("the primary holds %d keys written over an unverified connection", len(keys))
			}
		})
	}
}

// noTrouble fails the test if a replica logged an error or Redis trouble.
func noTrouble(t *testing.T, rs ...*replica) {
	t.Helper()
	for i, r := range rs {
		if logs := r.logs.String(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "unavailable") {
			t.Errorf("replica %d logged trouble:\n%s", i, logs)
		}
	}
}

// reportedThenFetchesLocally waits for r's startup check to log an error,
// which must contain want, then checks that r's first request still gets
// a token, fetched from emu, the only one it issued.
func reportedThenFetchesLocally(t *testing.T, r *replica, emu *emulator.IAM, want string) {
	t.Helper()
	// Reported at startup, before any token is asked for.
	poll.Until(t, "the startup check's error", func() bool { return strings.Contains(r.logs.String(), "level=ERROR") })
	if logs := r.logs.String(); !strings.Contains(logs, want) {
		t.Fatalf("startup log does not say %q:\n%s", want, logs)
	}
	if err := emu.Verify(r.token(t)); err != nil || emu.Issued() != 1 {
		t.Fatalf("no local fetch: %v (IAM issued %d, want 1)", err, emu.Issued())
	}
}
