package rediscache_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokenplug/tokenplug/host/internal/redistest"
)

func TestSentinelFailoverUnderLoadFailsNoRequestAndSharingResumes(t *testing.T) {
	sn, clk := redistest.StartSentinel(t), newClock()
	const procs, providers = 3, 3
	emu, tokenURL, _ := iamProviders(t, clk, providers)
	cacheKey := newKey(t)
	env := []string{"CACHEHOST_MASTER_NAME=" + sn.MasterName, "CACHEHOST_PROVIDERS=" + strconv.Itoa(providers)}
	load := startHosts(t, procs, tokenURL, sn.URL(), "key-A", cacheKey, append(env, "CACHEHOST_LOAD=1")...)
	for _, h := range load {
		h.ask() // start the load: every request rejects its token, so the next goes through the tier
	}
	newMaster := redis.NewClient(&redis.Options{Addr: sn.Replica.Addr()})
	defer newMaster.Close()
	waitFor(t, func() bool { return emu.Issued() >= 30 })

	sn.Primary.Kill()
	killed, issuedAtKill := time.Now(), emu.Issued()
	waitFor(t, func() bool { return sn.MasterAddr(t) == sn.Replica.Addr() })
	promoted := time.Now()
	// Sharing has resumed when the hosts write to the new primary.
	base := writes(t, newMaster)
	waitFor(t, func() bool { return writes(t, newMaster) > base })
	resumed, issuedAtResume := time.Now(), emu.Issued()
	time.Sleep(time.Second) // more load on the new primary
	ok, failed := stopLoad(t, load)
	t.Logf("failover: primary killed; replica promoted after %v; hosts write to it after %v; %d upstream fetches in that gap; %d requests, %d failed",
		promoted.Sub(killed).Round(10*time.Millisecond), resumed.Sub(killed).Round(10*time.Millisecond), issuedAtResume-issuedAtKill, ok+failed, failed)
	if failed != 0 {
		t.Fatalf("%d of %d token requests failed during the failover", failed, ok+failed)
	}

	// A process started after the promotion gets every token from the tier.
	checkLateHost(t, emu, providers, tokenURL, sn.URL(), cacheKey, env...)
}

// writes counts the write commands srv has run (SET, EVAL and EVALSHA
// calls), from INFO commandstats.
func writes(t *testing.T, rdb *redis.Client) int { return calls(t, rdb, "set", "eval") }

// evals counts the scripts srv has run (EVAL and EVALSHA calls).
func evals(t *testing.T, rdb *redis.Client) int { return calls(t, rdb, "eval") }

// calls sums the calls of the commands starting with one of prefixes.
func calls(t *testing.T, rdb *redis.Client, prefixes ...string) int {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return 0
	}
	n := 0
	for _, m := range callsRE.FindAllStringSubmatch(info, -1) {
		for _, p := range prefixes {
			if strings.HasPrefix(m[1], p) {
				c, _ := strconv.Atoi(m[2])
				n += c
			}
		}
	}
	return n
}

var callsRE = regexp.MustCompile(`cmdstat_(\w+):calls=(\d+)`)
