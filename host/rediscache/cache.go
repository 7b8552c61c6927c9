package rediscache

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/host"
)

// Cache is a token cache in Redis shared by every process configured with
// the same server and encryption key. It implements host.SharedCache; a
// host.Registry given one with host.WithCache consults it on each fetch
// and closes it when the registry closes. Safe for concurrent use.
type Cache struct {
	rdb     redis.UniversalClient
	prefix  string
	nameKey []byte // HMAC key for key names
	aead    cipher.AEAD
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	health  health

	probed    chan struct{}      // closed when the startup TLS check ends; nil without TLS
	stopProbe context.CancelFunc // ends that check early
	janitor   janitor            // releases leases lost in a failover
}

// Timing of the lease protocol.
const (
	// maxLease bounds a lease when the fetch has no deadline of its own; the
	// host's fetch timeout (30s by default) normally sets it.
	maxLease = 30 * time.Second
	// minLease keeps a lease from expiring before the fetch can even start.
	minLease = time.Second
	// pollInterval is how often a waiting process re-reads Redis when no
	// notification came: the holder may have died, its lease expired.
	pollInterval = time.Second
	// noExpiryTTL keeps a token that never expires in Redis for a day, so
	// values of configurations no longer in use do not pile up.
	noExpiryTTL = 24 * time.Hour
	// waitMargin is how long past the lease's TTL a process keeps waiting
	// for the holder's token (a poll and a Redis call), before it fetches
	// for itself: a holder that hangs must not starve every replica.
	waitMargin = pollInterval + time.Second
)

// leaseScript takes key's lease (SET NX PX). A lease without expiry was
// not written by a cache (every lease has one) and would block every
// process forever: it is garbage, taken over. Returns {1, 0} when the
// lease is taken, {2, 0} when garbage was taken over, else {0, the
// lease's remaining TTL in ms}.
var leaseScript = redis.NewScript(`
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return {1, 0} end
local ttl = redis.call("PTTL", KEYS[1])
if ttl == -1 then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return {2, 0}
end
return {0, ttl}`)

// releaseScript deletes the lease only if this process still holds it
// (compare-and-delete: a lease that expired and was taken over belongs to
// someone else), then wakes the waiting processes whatever happened.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end
redis.call("PUBLISH", ARGV[2], "1")
return 1`)

// Token returns a token for key. It returns the stored token if it is
// before its refresh point (the refresh_at hint the host sets on every
// token it fetches) and is not rejected; rejected, if not empty, is an
// access token a server refused. Otherwise the first process to take the
// key's lease calls fetch and stores the result for the others, which wait
// for it, bounded by ctx. If Redis fails or is slow, Token calls fetch
// itself: Redis trouble never fails a call.
func (c *Cache) Token(ctx context.Context, key, rejected string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	if c.health.skip(c.now()) {
		host.ReportCacheFallback(ctx)
		return fetch(ctx)
	}
	if c.health.retry() {
		c.relearn(ctx)
	}
	tok, err := c.shared(ctx, key, rejected, fetch)
	var re *redisError
	if errors.As(err, &re) {
		c.trouble(re)
		host.ReportCacheFallback(ctx)
		return fetch(ctx)
	}
	return tok, err
}

// Close closes the connections to Redis.
func (c *Cache) Close() error {
	c.closeJanitor()
	if c.probed != nil {
		c.stopProbe()
		<-c.probed
	}
	return c.rdb.Close()
}

// shared runs the lease protocol: read, else lease and fetch, else wait for
// the holder's value, but not longer than waitLimit: then fetch alone.
// Redis failures come back as *redisError.
func (c *Cache) shared(ctx context.Context, key, rejected string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	lease := randomID()
	var sub *redis.PubSub
	defer func() {
		if sub != nil {
			_ = sub.Close()
		}
	}()
	var giveUp time.Time // when waiting for the holder ends; zero: not waiting yet
	for {
		tok, err := c.get(ctx, key)
		if err != nil {
			return nil, err
		}
		if tok != nil && tok.AccessToken != rejected && c.fresh(tok) {
			return tok, nil
		}
		won, ttl, err := c.lease(ctx, key, lease)
		if err != nil {
			// The lease may have been taken all the same, its reply lost.
			c.releaseLater(orphan{key: key, id: lease, until: time.Now().Add(leaseTTL(ctx))})
			return nil, err
		}
		if won {
			// Read again under the lease: a holder that stored its token and
			// released the lease between our read and our lease would
			// otherwise cost a second upstream fetch.
			if tok, err := c.get(ctx, key); err == nil && tok != nil && tok.AccessToken != rejected && c.fresh(tok) {
				if rerr := c.release(context.WithoutCancel(ctx), key, lease); rerr != nil {
					c.trouble(rerr)
				}
				return tok, nil
			}
			return c.fetchAndStore(ctx, key, lease, fetch)
		}
		if giveUp.IsZero() {
			giveUp = time.Now().Add(waitLimit(ctx, ttl))
		}
		if !time.Now().Before(giveUp) {
			c.log.Warn("tokenplug/rediscache: another process holds the token lease too long; fetching locally", "key", key)
			return c.fetchAlone(ctx, key, fetch)
		}
		if sub == nil {
			// Subscribe, then read again: a value stored in between would
			// otherwise go unnoticed until the next poll.
			if sub, err = c.subscribe(ctx, key); err != nil {
				return nil, err
			}
			continue
		}
		if err := c.await(ctx, sub, time.Until(giveUp)); err != nil {
			return nil, err
		}
	}
}

// waitLimit is how long a process waits for the holder of a lease with ttl
// left: the TTL (no cache writes one longer than maxLease) plus waitMargin,
// but at most half of what remains of ctx, so that a fetch of its own still
// has the other half. It is measured on the real clock, as Redis measures
// the TTL and ctx its deadline.
func waitLimit(ctx context.Context, ttl time.Duration) time.Duration {
	d := min(max(ttl, 0), maxLease) + waitMargin
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(dl)/2)
	}
	return d
}

// fetchAlone fetches without the lease, after waiting for its holder in
// vain, and stores the token for the others.
func (c *Cache) fetchAlone(ctx context.Context, key string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	tok, err := fetch(ctx)
	if err == nil && tok != nil && tok.AccessToken != "" {
		if serr := c.store(context.WithoutCancel(ctx), key, tok); serr != nil {
			c.trouble(serr)
		}
	}
	return tok, err
}

// fresh reports whether a stored token may be used instead of fetching:
// before its refresh point, as the host computed it when it was fetched.
// A token with an expiry but no refresh point was not written by a host.
func (c *Cache) fresh(tok *oauth2.Token) bool {
	if tok.Expiry.IsZero() {
		return true
	}
	now := c.now()
	at := tokenplug.RefreshAtOf(tok)
	return !at.IsZero() && now.Before(at) && now.Before(tok.Expiry)
}

// fetchAndStore fetches as the lease holder, stores the token, releases
// the lease and wakes the waiters (who take over if the fetch failed).
func (c *Cache) fetchAndStore(ctx context.Context, key, lease string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	until := time.Now().Add(leaseTTL(ctx)) // no earlier than the lease expires
	tok, err := fetch(ctx)
	// Store and release even if the caller gave up: the others wait on it.
	bg := context.WithoutCancel(ctx)
	if err == nil && tok != nil && tok.AccessToken != "" {
		if serr := c.store(bg, key, tok); serr != nil {
			c.trouble(serr)
		}
	}
	if rerr := c.release(bg, key, lease); rerr != nil {
		c.trouble(rerr)
		o := orphan{key: key, id: lease, until: until}
		if err == nil {
			o.tok = tok
		}
		c.releaseLater(o)
	}
	return tok, err
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// leaseTTL covers the holder's fetch: until the fetch's deadline, within
// [minLease, maxLease]. A holder that dies loses the lease this long after.
func leaseTTL(ctx context.Context) time.Duration {
	d := maxLease
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl)
	}
	return min(max(d, minLease), maxLease)
}
