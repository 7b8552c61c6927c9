package rediscache_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host/internal/redistest"
)

func TestRedisKilledUnderLoadFailsNoRequestAndSharingResumes(t *testing.T) {
	srv, clk := redistest.Start(t), newClock()
	emu, tokenURL := iamServer(t, clk, "key-A")
	cacheKey := newKey(t)
	replicas := []*replica{
		newReplica(t, srv.URL(), cacheKey, clk, tokenURL, "key-A"),
		newReplica(t, srv.URL(), cacheKey, clk, tokenURL, "key-A"),
	}

	// Load: every request rejects the token it got, as after a 401, so
	// every next request goes through the shared tier.
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		r := replicas[i%2]
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := r.src.Token(ctxT(t))
				if err != nil {
					failed.Add(1)
					t.Errorf("request failed: %v", err)
					continue
				}
				ok.Add(1)
				r.src.Invalidate(tok)
			}
		})
	}
	waitFor(t, func() bool { return ok.Load() >= 20 })
	srv.Kill()
	atKill := ok.Load()
	waitFor(t, func() bool { return ok.Load() >= atKill+40 })
	close(stop)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of %d requests failed while Redis died", n, ok.Load()+n)
	}
	for i, r := range replicas {
		if n := strings.Count(r.logs.String(), "shared token cache unavailable"); n != 1 {
			t.Errorf("replica %d logged the outage %d times, want once", i, n)
		}
	}

	// Redis is back on the same port, empty. Once the circuit lets Redis
	// be tried again, one fetch serves both replicas.
	srv.Restart()
	clk.Advance(10 * time.Second)
	a, b := replicas[0], replicas[1]
	oldA, _ := a.src.Token(ctxT(t))
	oldB, _ := b.src.Token(ctxT(t))
	before := emu.Issued()
	a.src.Invalidate(oldA)
	fresh := a.token(t)
	b.src.Invalidate(oldB)
	if got := b.token(t); got != fresh {
		t.Fatal("after Redis came back, the replicas no longer share tokens")
	}
	if n := emu.Issued() - before; n != 1 {
		t.Fatalf("IAM issued %d tokens after Redis came back, want 1", n)
	}
	for i, r := range replicas {
		if !strings.Contains(r.logs.String(), "shared token cache reachable again") {
			t.Errorf("replica %d did not log the recovery", i)
		}
	}
}

// waitFor waits for cond, checking every few milliseconds, for at most 30s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met in 30s")
}

func TestHungRedisFailsNoRequestAndLogsOnce(t *testing.T) {
	srv, clk := redistest.Start(t), newClock()
	emu, tokenURL := iamServer(t, clk, "key-A")
	a := newReplica(t, srv.URL(), newKey(t), clk, tokenURL, "key-A")
	old := a.token(t)

	srv.Pause() // Redis hangs: every call would wait for its timeout
	t.Cleanup(srv.Resume)
	tok, _ := a.src.Token(ctxT(t))
	for range 5 {
		a.src.Invalidate(tok)
		var err error
		if tok, err = a.src.Token(ctxT(t)); err != nil {
			t.Fatalf("request failed while Redis hung: %v", err)
		}
	}
	if tok.AccessToken == old || emu.Issued() != 6 {
		t.Fatalf("IAM issued %d, want 6: every forced fetch went upstream", emu.Issued())
	}
	if n := strings.Count(a.logs.String(), "shared token cache unavailable"); n != 1 {
		t.Fatalf("outage logged %d times, want once", n)
	}
}
