package rediscache

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"
)

// redisError marks a failed Redis call: the cache falls back to a local
// fetch and skips Redis for a while.
type redisError struct{ err error }

func (e *redisError) Error() string { return "tokenplug/rediscache: redis: " + e.err.Error() }
func (e *redisError) Unwrap() error { return e.err }

// check classifies err from a Redis call made under ctx: nil, the caller's
// own context error (returned as is: the caller gave up, Redis is fine), or
// a *redisError.
func check(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &redisError{err}
}

func leaseKey(key string) string { return key + ":lease" }
func channel(key string) string  { return key + ":ready" }

// get reads and opens key's value: nil if absent or if it does not decrypt
// (it is overwritten by the next store).
func (c *Cache) get(ctx context.Context, key string) (*oauth2.Token, error) {
	op, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := c.rdb.Get(op, key).Bytes()
	if errors.Is(err, redis.Nil) {
		c.recovered()
		return nil, nil
	}
	if err = check(ctx, err); err != nil {
		return nil, err
	}
	c.recovered()
	tok, err := c.open(key, b)
	if err != nil {
		c.log.Warn("tokenplug/rediscache: ignoring a stored token that does not decrypt; it will be overwritten", "key", key)
		return nil, nil
	}
	return tok, nil
}

// lease tries to take key's lease (leaseScript). If another process holds
// it, it returns the lease's remaining TTL.
func (c *Cache) lease(ctx context.Context, key, id string) (won bool, ttl time.Duration, err error) {
	op, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r, err := leaseScript.Run(op, c.rdb, []string{leaseKey(key)}, id, leaseTTL(ctx).Milliseconds()).Int64Slice()
	if err = check(ctx, err); err != nil {
		return false, 0, err
	}
	if len(r) != 2 {
		return false, 0, &redisError{errors.New("unexpected lease script reply")}
	}
	if r[0] == 2 {
		c.log.Warn("tokenplug/rediscache: removed a token lease without expiry, which would have blocked every process", "key", leaseKey(key))
	}
	return r[0] != 0, time.Duration(r[1]) * time.Millisecond, nil
}

// store writes tok sealed under key, to expire with the token.
func (c *Cache) store(ctx context.Context, key string, tok *oauth2.Token) error {
	ttl := noExpiryTTL
	if !tok.Expiry.IsZero() {
		if ttl = tok.Expiry.Sub(c.now()); ttl <= 0 {
			return nil
		}
	}
	b, err := c.seal(key, tok)
	if err != nil {
		return err
	}
	op, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return check(ctx, c.rdb.Set(op, key, b, ttl).Err())
}

// release drops the lease if still held and wakes the waiters.
func (c *Cache) release(ctx context.Context, key, id string) error {
	op, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return check(ctx, releaseScript.Run(op, c.rdb, []string{leaseKey(key)}, id, channel(key)).Err())
}

// subscribe listens for key's notifications, waiting for Redis to confirm.
func (c *Cache) subscribe(ctx context.Context, key string) (*redis.PubSub, error) {
	sub := c.rdb.Subscribe(ctx, channel(key))
	if _, err := sub.ReceiveTimeout(ctx, c.timeout); err != nil {
		_ = sub.Close()
		return nil, check(ctx, err)
	}
	return sub, nil
}

// await returns when a notification arrives or pollInterval (at most
// limit) passes (either way the caller reads again), or with ctx's error
// when it ends. A cancelled ctx closes sub so the wait ends at once.
func (c *Cache) await(ctx context.Context, sub *redis.PubSub, limit time.Duration) error {
	stop := context.AfterFunc(ctx, func() { _ = sub.Close() })
	defer stop()
	_, err := sub.ReceiveTimeout(ctx, min(pollInterval, max(limit, time.Millisecond)))
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &ne) && ne.Timeout():
		return nil // no news: poll
	}
	return &redisError{err}
}

// health is the circuit in front of Redis: after a failure, Redis is
// skipped for openFor, so a dead Redis costs one timeout per interval, not
// one per fetch. Safe for concurrent use.
type health struct {
	mu        sync.Mutex // guards the fields below
	down      bool       // in an outage (logged once, until it ends)
	downUntil time.Time  // skip Redis until then
	retried   bool       // the first call after downUntil has begun
}

// openFor is how long Redis is skipped after a failure: short enough that
// sharing resumes soon after Redis is back, long enough that an outage
// costs little.
const openFor = 5 * time.Second

func (h *health) skip(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down && now.Before(h.downUntil)
}

// retry reports whether this is the first call to try Redis again after
// a pause (once per pause).
func (h *health) retry() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down || h.retried {
		return false
	}
	h.retried = true
	return true
}

// trouble records a Redis failure and logs the start of an outage.
func (c *Cache) trouble(err error) {
	h := &c.health
	h.mu.Lock()
	first := !h.down
	h.down, h.downUntil, h.retried = true, c.now().Add(openFor), false
	h.mu.Unlock()
	if first {
		c.log.Warn("tokenplug/rediscache: shared token cache unavailable; fetching tokens locally until it is back", "error", err.Error())
	}
}

// recovered records a successful Redis call and logs the end of an outage.
func (c *Cache) recovered() {
	h := &c.health
	h.mu.Lock()
	was := h.down
	h.down = false
	h.mu.Unlock()
	if was {
		c.log.Info("tokenplug/rediscache: shared token cache reachable again")
	}
}

// relearn makes a cluster client read the slot map again, before the first
// call after a pause: a replica may have replaced a primary meanwhile, and
// go-redis would otherwise keep sending that primary's slots to the dead
// address until its periodic reload (a minute). ForEachMaster reloads the
// map synchronously; the callback does nothing.
func (c *Cache) relearn(ctx context.Context) {
	cc, ok := c.rdb.(*redis.ClusterClient)
	if !ok {
		return
	}
	op, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	_ = cc.ForEachMaster(op, func(context.Context, *redis.Client) error { return nil })
}
