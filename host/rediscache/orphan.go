package rediscache

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"
)

// An orphan is a lease this process may still hold although releasing it
// failed: the primary died after the lease reached its replica, which a
// failover then promoted. Left alone it would make every process wait for
// it to expire (up to maxLease) once Redis is back; released as soon as
// Redis answers again, with the token the holder fetched, it costs nothing.
type orphan struct {
	key, id string
	tok     *oauth2.Token // nil: nothing to store
	until   time.Time     // when the lease expires anyway (real clock, as Redis's)
}

// orphanInterval is how often the janitor tries Redis while it holds
// orphans: one PING per interval while Redis is down.
const orphanInterval = 250 * time.Millisecond

// janitor releases orphans in one goroutine, started with the first one
// and ending with the last.
type janitor struct {
	mu      sync.Mutex // guards the fields below
	orphans []orphan
	running bool
	closed  bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// adoptScript stores the holder's token and releases its lease, only if
// the lease is still this holder's: otherwise the others have moved on and
// the value there may be newer. KEYS: the value and its lease, one hash
// slot (see Key). ARGV: lease id, channel, sealed value ("" for none), TTL
// in ms.
var adoptScript = redis.NewScript(`
if redis.call("GET", KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[3] ~= "" then redis.call("SET", KEYS[1], ARGV[3], "PX", ARGV[4]) end
redis.call("DEL", KEYS[2])
redis.call("PUBLISH", ARGV[2], "1")
return 1`)

// releaseLater hands a lease whose release failed to the janitor.
func (c *Cache) releaseLater(o orphan) {
	j := &c.janitor
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return
	}
	j.orphans = append(j.orphans, o)
	if !j.running {
		j.running = true
		if j.stop == nil {
			j.stop = make(chan struct{})
		}
		j.wg.Add(1)
		go c.tend()
	}
}

// tend retries the orphans until each is released or expired, or the
// cache closes.
func (c *Cache) tend() {
	j := &c.janitor
	defer j.wg.Done()
	t := time.NewTicker(orphanInterval)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
		}
		if !c.adoptAll() {
			return
		}
	}
}

// adoptAll tries to release every orphan once Redis answers; it reports
// whether some remain.
func (c *Cache) adoptAll() bool {
	j := &c.janitor
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	up := c.rdb.Ping(ctx).Err() == nil
	cancel()
	j.mu.Lock()
	todo := j.orphans
	j.orphans = nil
	j.mu.Unlock()
	var left []orphan
	for _, o := range todo {
		if time.Now().After(o.until) {
			continue // expired: Redis dropped it
		}
		if !up || c.adopt(o) != nil {
			left = append(left, o)
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.orphans = append(j.orphans, left...)
	if len(j.orphans) == 0 {
		j.running = false
	}
	return j.running
}

// adopt runs adoptScript for o.
func (c *Cache) adopt(o orphan) error {
	var sealed []byte
	var ttl time.Duration
	if o.tok != nil && o.tok.AccessToken != "" {
		ttl = noExpiryTTL
		if !o.tok.Expiry.IsZero() {
			ttl = o.tok.Expiry.Sub(c.now())
		}
		if ttl > 0 {
			var err error
			if sealed, err = c.seal(o.key, o.tok); err != nil {
				sealed = nil
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	return adoptScript.Run(ctx, c.rdb, []string{o.key, leaseKey(o.key)}, o.id, channel(o.key), string(sealed), ttl.Milliseconds()).Err()
}

// closeJanitor stops the janitor and waits for it.
func (c *Cache) closeJanitor() {
	j := &c.janitor
	j.mu.Lock()
	j.closed = true
	if j.stop != nil {
		close(j.stop)
	}
	j.mu.Unlock()
	j.wg.Wait()
}
