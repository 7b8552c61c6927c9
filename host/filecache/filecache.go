// Package filecache is a token cache in files, shared by the processes of
// one user on one machine: the tokenplug CLI keeps tokens in it so that a
// script calling "tokenplug token" in a loop fetches once, not once per
// call. It implements host.SharedCache; give one to a host.Registry with
// host.WithCache.
//
// The directory (DefaultDir: $XDG_CACHE_HOME/tokenplug, else
// ~/.cache/tokenplug) is created 0700; a directory owned by another user,
// or writable by the group or others, is refused. It holds a 0600 key file
// of 32 random bytes and one 0600 file per provider configuration, named
// by a keyed hash (HMAC-SHA256) of the plugin name and settings, so a
// changed credential never reuses an old token and no file name reveals a
// setting. Values are sealed as host/rediscache seals them (AES-256-GCM,
// bound to their key): a file that was tampered with, copied under another
// name or sealed under another key is ignored, and the token fetched
// again. Concurrent processes take an exclusive lock (flock) per
// configuration, so only one of them fetches.
//
// It also keeps each configuration's settings update (host.SettingsCache:
// a refresh token the provider rotated), sealed the same way in its own
// file, so that the next call starts from the rotated refresh token and
// not the spent one.
package filecache

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/seal"
)

// Config configures a Cache.
type Config struct {
	// Dir is the cache directory; "" means DefaultDir().
	Dir string
	// Refresh makes Token fetch a new token even when a fresh one is
	// stored, and store it (tokenplug token --refresh).
	Refresh bool
	// NoTokens makes Token neither read nor store tokens (tokenplug token
	// --no-cache): it still takes the configuration's lock around the
	// fetch, and the cache still keeps settings updates, since a rotated
	// refresh token that is not kept breaks every later call.
	NoTokens bool
	// Logger receives warnings about cache trouble (the token is then
	// fetched without the cache); nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock tokens' refresh points are compared with; nil
	// means time.Now.
	Now func() time.Time
}

// Cache is a token cache in a directory. Safe for concurrent use, by
// goroutines and processes alike.
type Cache struct {
	dir     string
	refresh bool
	noTok   bool
	nameKey []byte
	aead    cipher.AEAD
	log     *slog.Logger
	now     func() time.Time
}

// noExpiryTTL bounds how long a token without expiry is reused, as
// rediscache keeps one for a day.
const noExpiryTTL = 24 * time.Hour

// DefaultDir returns $XDG_CACHE_HOME/tokenplug, else ~/.cache/tokenplug.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "tokenplug"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("tokenplug/filecache: no cache directory: %w", err)
	}
	return filepath.Join(home, ".cache", "tokenplug"), nil
}

// New opens the cache directory, creating it and its key file if needed.
// It fails when the directory or the key file is not safe: owned by
// another user, or open to the group or others.
func New(cfg Config) (*Cache, error) {
	dir := cfg.Dir
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	secret, err := loadKey(dir)
	if err != nil {
		return nil, err
	}
	c := &Cache{dir: dir, refresh: cfg.Refresh, noTok: cfg.NoTokens, log: cfg.Logger, now: cfg.Now}
	if c.nameKey, c.aead, err = seal.Keys(secret); err != nil {
		return nil, fmt.Errorf("tokenplug/filecache: %w", err)
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

// safeName is a plugin name usable in a file name.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Key returns the cache key of a provider configuration: the plugin name
// and the hex HMAC-SHA256 of the name and settings, under a key derived
// from the key file. It is also the name of the configuration's file.
func (c *Cache) Key(pluginName string, settings map[string]string) string {
	prefix := pluginName
	if !safeName.MatchString(prefix) {
		prefix = "plugin"
	}
	return prefix + "-" + seal.Hash(c.nameKey, pluginName, settings)
}

// Token returns a token for key: the stored one if it is before its
// refresh point and is not rejected, else one from fetch, which it stores.
// The configuration's lock is held throughout, so concurrent processes
// wait for one fetch; one that waits past half of ctx's remaining time
// fetches without the lock. Trouble with the cache is logged and the token
// fetched: it never fails a call.
func (c *Cache) Token(ctx context.Context, key, rejected string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	if !validKey.MatchString(key) {
		return fetch(ctx)
	}
	unlock, err := c.lock(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.log.Warn("tokenplug/filecache: fetching without the cache", "error", err)
		return fetch(ctx)
	}
	defer unlock()
	if !c.refresh && !c.noTok {
		if tok := c.load(key); tok != nil && tok.AccessToken != rejected {
			return tok, nil
		}
	}
	tok, err := fetch(ctx)
	if err == nil && tok != nil && tok.AccessToken != "" && !c.noTok {
		if serr := c.store(key, tok); serr != nil {
			c.log.Warn("tokenplug/filecache: token not stored", "error", serr)
		}
	}
	return tok, err
}

// Close does nothing: the cache holds no resource between calls.
func (c *Cache) Close() error { return nil }

// validKey is what Key returns: a file name, never a path.
var validKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}-[0-9a-f]{64}$`)

// load returns the stored token for key if it may be used, else nil.
func (c *Cache) load(key string) *oauth2.Token {
	b, mtime, err := readPrivate(filepath.Join(c.dir, key+".token"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		c.log.Warn("tokenplug/filecache: stored token ignored", "error", err)
		return nil
	}
	tok, err := seal.Open(c.aead, key, b)
	if err != nil {
		c.log.Warn("tokenplug/filecache: stored token ignored", "file", key+".token", "error", err)
		return nil
	}
	if !c.fresh(tok, mtime) {
		return nil
	}
	return tok
}

// fresh reports whether a stored token may be used instead of fetching:
// before its refresh point, as the host computed it when it was fetched. A
// token without expiry is used for noExpiryTTL after it was stored.
func (c *Cache) fresh(tok *oauth2.Token, stored time.Time) bool {
	now := c.now()
	if tok.Expiry.IsZero() {
		return now.Sub(stored) < noExpiryTTL
	}
	at := tokenplug.RefreshAtOf(tok)
	return !at.IsZero() && now.Before(at) && now.Before(tok.Expiry)
}

// store seals tok and replaces key's file with it, atomically.
func (c *Cache) store(key string, tok *oauth2.Token) error {
	b, err := seal.Seal(c.aead, key, tok)
	if err != nil {
		return err
	}
	return writePrivate(c.dir, key+".token", b)
}
