package filecache

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/tokenplug/tokenplug/internal/seal"
)

// A configuration's settings update (a rotated refresh token the provider
// asked the host to keep: see host.SettingsCache) lives next to its token,
// in key.settings, sealed like it under the cache's key and bound to its
// file: the next CLI call starts from the rotated refresh token, not the
// spent one.

// Settings returns the settings update stored for key and its generation;
// 0 and nil when there is none, or none that may be used (trouble is
// logged: the caller then uses its own).
func (c *Cache) Settings(_ context.Context, key string) (uint64, map[string]string, error) {
	if !validKey.MatchString(key) {
		return 0, nil, nil
	}
	s, err := c.loadSettings(key)
	if err != nil {
		c.log.Warn("tokenplug/filecache: stored settings update ignored", "file", key+".settings", "error", err)
		return 0, nil, nil
	}
	return s.Gen, s.Settings, nil
}

// StoreSettings stores settings as key's update of generation gen, unless
// the one stored is of gen or newer. It holds the update's own lock while
// it reads and replaces the file (the host calls it while it holds the
// token's lock, when it has it).
func (c *Cache) StoreSettings(ctx context.Context, key string, gen uint64, settings map[string]string) error {
	if !validKey.MatchString(key) {
		return errors.New("tokenplug/filecache: not a cache key")
	}
	unlock, err := c.lock(ctx, key+".settings")
	if err != nil {
		return fmt.Errorf("tokenplug/filecache: settings update: %w", err)
	}
	defer unlock()
	if old, err := c.loadSettings(key); err == nil && old.Gen >= gen {
		return nil // a newer one is there: keep it
	}
	b, err := seal.SealSettings(c.aead, key, seal.Settings{Gen: gen, Settings: maps.Clone(settings)})
	if err != nil {
		return fmt.Errorf("tokenplug/filecache: settings update: %w", err)
	}
	if err := writePrivate(c.dir, key+".settings", b); err != nil {
		return fmt.Errorf("tokenplug/filecache: settings update: %w", err)
	}
	return nil
}

// loadSettings reads and opens key's settings file: the zero Settings if
// there is none.
func (c *Cache) loadSettings(key string) (seal.Settings, error) {
	b, _, err := readPrivate(filepath.Join(c.dir, key+".settings"))
	if errors.Is(err, os.ErrNotExist) {
		return seal.Settings{}, nil
	}
	if err != nil {
		return seal.Settings{}, err
	}
	return seal.OpenSettings(c.aead, key, b)
}
