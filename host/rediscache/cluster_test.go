package rediscache_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
)

func TestClusterTenProcessesTwentyProvidersFetchTwentyTokens(t *testing.T) {
	cl, clk := redistest.StartCluster(t), newClock()
	const procs, providers = 10, 20
	emu, tokenURL, apikeys := iamProviders(t, clk, providers)
	// A vendor that takes a moment, so that every process asks while the
	// first fetches are in flight.
	emu.Faults.Set(emulator.Fault{Latency: 300 * time.Millisecond})
	cacheKey := newKey(t)

	started := time.Now()
	hosts := startHosts(t, procs, tokenURL, cl.URL(), "key-A", cacheKey,
		"CACHEHOST_CLUSTER=1", "CACHEHOST_PROVIDERS="+strconv.Itoa(providers))
	t.Logf("%d host processes with %d plugins each ready in %v", procs, providers, time.Since(started).Round(time.Millisecond))
	for _, h := range hosts {
		h.ask()
	}
	got := make([][]string, procs) // process, provider -> token
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() { got[i] = h.tokens(t, providers) })
	}
	wg.Wait()
	if n := emu.Issued(); n != providers {
		t.Fatalf("IAM issued %d tokens to %d processes x %d providers, want %d", n, procs, providers, providers)
	}
	var tokens []string
	for p := range providers {
		for i := range procs {
			if got[i][p] != got[0][p] {
				t.Fatalf("process %d got another token for provider %d", i, p)
			}
		}
		if err := emu.Verify(got[0][p]); err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, got[0][p])
	}
	checkClusterKeys(t, cl, providers, append(tokens, apikeys...))
}

// tokens reads n "i token" lines.
func (p *hostProcess) tokens(t *testing.T, n int) []string {
	t.Helper()
	toks := make([]string, n)
	for range n {
		i, tok, ok := strings.Cut(p.line(t), " ")
		k, err := strconv.Atoi(i)
		if !ok || err != nil || k < 0 || k >= n {
			t.Errorf("cachehost printed an unexpected line")
			return toks
		}
		toks[k] = tok
	}
	return toks
}

// checkClusterKeys scans every node: want keys (token values) in all, on
// more than one node, each in its lease's slot, and none of secrets in
// clear in a key or a value.
func checkClusterKeys(t *testing.T, cl *redistest.Cluster, want int, secrets []string) {
	t.Helper()
	ctx := context.Background()
	total, holders := 0, 0
	for _, n := range cl.Nodes {
		rdb := newClient(t, n)
		keys := allKeys(t, rdb)
		if len(keys) > 0 {
			holders++
		}
		for _, k := range keys {
			if strings.HasSuffix(k, ":lease") {
				t.Errorf("lease %s left behind", k)
				continue
			}
			total++
			v, err := rdb.Get(ctx, k).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if strings.Contains(k, s) || bytes.Contains(v, []byte(s)) {
					t.Errorf("a secret is in clear in Redis under %s", k)
				}
			}
			ks, err1 := rdb.ClusterKeySlot(ctx, k).Result()
			ls, err2 := rdb.ClusterKeySlot(ctx, k+":lease").Result()
			if err1 != nil || err2 != nil || ks != ls {
				t.Errorf("key %s in slot %d, its lease in slot %d (%v, %v)", k, ks, ls, err1, err2)
			}
		}
	}
	if total != want {
		t.Errorf("the cluster holds %d tokens, want %d", total, want)
	}
	if holders < 2 {
		t.Errorf("%d of %d nodes hold keys: the keys do not spread over the slots", holders, len(cl.Nodes))
	}
	t.Logf("%d tokens spread over %d of %d nodes", total, holders, len(cl.Nodes))
}
