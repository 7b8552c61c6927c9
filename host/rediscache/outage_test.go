package rediscache_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host/internal/loadgen"
	"github.com/tokenplug/tokenplug/host/internal/poll"
)

func TestRedisKilledUnderLoadFailsNoRequestAndSharingResumes(t *testing.T) {
	f := newFleet(t)
	replicas := []*replica{f.replica(t), f.replica(t)}

	// Load: every request rejects the token it got, as after a 401, so
	// every next request goes through the shared tier.
	var ok, failed atomic.Int64
	stop := loadgen.Start(4, func(i int) bool {
		r := replicas[i%2]
		tok, err := r.src.Token(ctxT(t))
		if err != nil {
			failed.Add(1)
			t.Errorf("request failed: %v", err)
			return true
		}
		ok.Add(1)
		r.src.Invalidate(tok)
		return true
	})
	poll.Until(t, "20 requests", func() bool { return ok.Load() >= 20 })
	f.srv.Kill()
	atKill := ok.Load()
	poll.Until(t, "40 requests after Redis died", func() bool { return ok.Load() >= atKill+40 })
	stop()
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
	f.srv.Restart()
	f.clk.Advance(10 * time.Second)
	a, b := replicas[0], replicas[1]
	oldA, _ := a.src.Token(ctxT(t))
	oldB, _ := b.src.Token(ctxT(t))
	before := f.emu.Issued()
	a.src.Invalidate(oldA)
	fresh := a.token(t)
	b.src.Invalidate(oldB)
	if got := b.token(t); got != fresh {
		t.Fatal("after Redis came back, the replicas no longer share tokens")
	}
	if n := f.emu.Issued() - before; n != 1 {
		t.Fatalf("IAM issued %d tokens after Redis came back, want 1", n)
	}
	for i, r := range replicas {
		if !strings.Contains(r.logs.String(), "shared token cache reachable again") {
			t.Errorf("replica %d did not log the recovery", i)
		}
	}
}

func TestHungRedisFailsNoRequestAndLogsOnce(t *testing.T) {
	f := newFleet(t)
	emu, a := f.emu, f.replica(t)
	old := a.token(t)

	f.srv.Pause() // Redis hangs: every call would wait for its timeout
	t.Cleanup(f.srv.Resume)
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
