package rediscache

import (
	"context"
	"errors"
	"maps"

	"github.com/redis/go-redis/v9"

	"github.com/tokenplug/tokenplug/internal/seal"
)

// A configuration's settings update (a rotated refresh token: see
// host.SettingsCache) lives at key:settings, in the key's hash slot,
// sealed like the token under the encryption key and bound to its key. It
// has no expiry: a refresh token may outlive any access token by months,
// and losing it would leave every replica with the spent one. It is
// replaced by each newer update and by nothing else.

func settingsKey(key string) string { return key + ":settings" }

// storeRetries bounds the optimistic transaction's retries when another
// process writes the update between our read and our write.
const storeRetries = 3

// Settings returns the update stored for key and its generation; 0 and nil
// when there is none, none that opens, or Redis is unavailable (the
// outage is logged once, as for tokens, and the host uses its own).
func (c *Cache) Settings(ctx context.Context, key string) (uint64, map[string]string, error) {
	if c.health.skip(c.now()) {
		return 0, nil, nil
	}
	s, err := c.getSettings(ctx, c.rdb, key)
	var re *redisError
	if errors.As(err, &re) {
		c.trouble(re)
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err // the caller's context ended
	}
	return s.Gen, s.Settings, nil
}

// StoreSettings stores settings as key's update of generation gen, unless
// the one stored is of gen or newer: a WATCH transaction, so that of two
// replicas that rotated at once (a lost lease) the first to store wins.
func (c *Cache) StoreSettings(ctx context.Context, key string, gen uint64, settings map[string]string) error {
	b, err := seal.SealSettings(c.aead, settingsKey(key), seal.Settings{Gen: gen, Settings: maps.Clone(settings)})
	if err != nil {
		return err
	}
	sk := settingsKey(key)
	for range storeRetries {
		op, cancel := context.WithTimeout(ctx, c.timeout)
		err = c.rdb.Watch(op, func(tx *redis.Tx) error {
			old, err := c.getSettings(op, tx, key)
			if err != nil || old.Gen >= gen {
				return err // a newer one is there: keep it
			}
			_, err = tx.TxPipelined(op, func(p redis.Pipeliner) error {
				p.Set(op, sk, b, 0)
				return nil
			})
			return err
		}, sk)
		cancel()
		if !errors.Is(err, redis.TxFailedErr) {
			break
		}
	}
	if err = check(ctx, err); err != nil {
		var re *redisError
		if errors.As(err, &re) {
			c.trouble(re)
		}
		return err
	}
	return nil
}

// getSettings reads and opens key's update with cmd (the client, or a
// transaction): the zero Settings if there is none or it does not open.
func (c *Cache) getSettings(ctx context.Context, cmd redis.Cmdable, key string) (seal.Settings, error) {
	op, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := cmd.Get(op, settingsKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return seal.Settings{}, nil
	}
	if err = check(ctx, err); err != nil {
		return seal.Settings{}, err
	}
	s, err := seal.OpenSettings(c.aead, settingsKey(key), b)
	if err != nil {
		c.log.Warn("tokenplug/rediscache: ignoring a stored settings update that does not decrypt; it will be overwritten", "key", settingsKey(key))
		return seal.Settings{}, nil
	}
	return s, nil
}
