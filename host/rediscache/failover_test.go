package rediscache_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tokenplug/tokenplug/host/internal/poll"
	"github.com/tokenplug/tokenplug/host/internal/redistest"
)

func TestSentinelFailoverUnderLoadFailsNoRequestAndSharingResumes(t *testing.T) {
	sn := redistest.StartSentinel(t)
	failover{
		name: "failover", url: sn.URL(), providers: 3,
		env: []string{"CACHEHOST_MASTER_NAME=" + sn.MasterName},
		kill: func(t *testing.T) *redistest.Server {
			sn.Primary.Kill()
			return sn.Replica
		},
		promoted: func(t *testing.T, heir *redistest.Server) bool { return sn.MasterAddr(t) == heir.Addr() },
	}.run(t)
}

func TestClusterFailoverUnderLoadFailsNoRequestAndSharingResumes(t *testing.T) {
	cl := redistest.StartClusterWithReplicas(t)
	failover{
		name: "cluster failover", url: cl.URL(), providers: 6,
		env: []string{"CACHEHOST_CLUSTER=1"},
		kill: func(t *testing.T) *redistest.Server {
			// Kill the primary that holds the most tokens.
			var victim *redistest.Server
			most := -1
			for _, n := range cl.Nodes {
				if cl.Role(t, n) != "master" {
					continue
				}
				if keys := allKeys(t, newClient(t, n)); len(keys) > most {
					victim, most = n, len(keys)
				}
			}
			heir := cl.ReplicaOf(t, victim)
			victim.Kill()
			t.Logf("cluster failover: killed the primary holding %d keys (values and leases)", most)
			return heir
		},
		promoted: func(t *testing.T, heir *redistest.Server) bool { return cl.Role(t, heir) == "master" },
	}.run(t)
}

// failover is a failover test: cachehost processes (3) keep asking for
// their providers' tokens, rejecting each, while a primary dies; not one
// request may fail, the hosts must write to the promoted replica, and a
// process started afterwards gets every token from it.
type failover struct {
	name      string   // for the log line
	url       string   // the topology's Redis URL
	env       []string // the cachehost environment that selects the topology
	providers int      // per process
	// kill kills a primary that holds tokens and returns the replica
	// that will take its place.
	kill func(t *testing.T) *redistest.Server
	// promoted reports whether heir is the primary now.
	promoted func(t *testing.T, heir *redistest.Server) bool
}

func (f failover) run(t *testing.T) {
	t.Helper()
	const procs = 3
	emu, tokenURL, _ := iamProviders(t, newClock(), f.providers)
	cacheKey := newKey(t)
	env := append(f.env, "CACHEHOST_PROVIDERS="+strconv.Itoa(f.providers))
	load := startHosts(t, procs, tokenURL, f.url, "key-A", cacheKey, append(env, "CACHEHOST_LOAD=1")...)
	for _, h := range load {
		h.ask() // start the load: every request rejects its token, so the next goes through the tier
	}
	poll.Until(t, "30 tokens issued under load", func() bool { return emu.Issued() >= 30 })

	heir := f.kill(t)
	killed, issuedAtKill := time.Now(), emu.Issued()
	poll.Until(t, "the replica to be promoted", func() bool { return f.promoted(t, heir) })
	promoted := time.Now()
	// Sharing has resumed when the hosts write to the new primary.
	heirClient := newClient(t, heir)
	base := writes(t, heirClient)
	poll.Until(t, "the hosts to write to the new primary", func() bool { return writes(t, heirClient) > base })
	resumed, issuedAtResume := time.Now(), emu.Issued()
	time.Sleep(time.Second) // more load on the new primary
	ok, failed := stopLoad(t, load)
	t.Logf("%s: primary killed; replica promoted after %v; hosts write to it after %v; %d upstream fetches in that gap; %d requests, %d failed",
		f.name, promoted.Sub(killed).Round(10*time.Millisecond), resumed.Sub(killed).Round(10*time.Millisecond), issuedAtResume-issuedAtKill, ok+failed, failed)
	if failed != 0 {
		t.Fatalf("%d of %d token requests failed during the failover", failed, ok+failed)
	}

	// A process started after the promotion gets every token from the tier.
	checkLateHost(t, emu, f.providers, tokenURL, f.url, cacheKey, env...)
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
