package host

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// SharedCache is a token cache shared by many processes (the replicas of a
// service), a second tier behind each Source's in-memory cache: a Source
// consults it only when it has no fresh token, never on the hot path.
// rediscache.Cache (one Redis for many hosts) and filecache.Cache (files
// of one user on one machine, as the tokenplug CLI uses) implement it; set
// one with WithCache.
//
// Implementations must be safe for concurrent use, must not let their own
// trouble fail a call (fetch instead), and must never store a token in the
// clear or a setting value in a key.
type SharedCache interface {
	// Key names a provider configuration in the cache: two configurations
	// share tokens exactly when their plugin name and settings are equal.
	// It is called once per provider, at Register, and for each fetch of a
	// token answering a server's challenge, with the challenge added to
	// settings under the key "tokenplug:challenge" (which no real setting
	// can have), so such a token never answers for the default one.
	Key(plugin string, settings map[string]string) string
	// Token returns a token for key: a stored one if it is before its
	// refresh point (plugin.RefreshAtOf, which the host sets on every
	// fetched token) and its access token is not rejected, else one from
	// fetch, which it stores for the other processes. rejected is empty
	// unless a server refused the token the caller had. ctx bounds the
	// call, including any wait for another process's fetch.
	Token(ctx context.Context, key, rejected string, fetch func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error)
	// Close releases the cache's resources; the Registry calls it on Close.
	Close() error
}

// SettingsCache is implemented by a SharedCache that also keeps providers'
// settings updates (a rotated refresh token: see
// plugin.WithSettingsUpdate), so that the next process with the same
// configuration starts from the rotated value, not the spent one.
// rediscache.Cache and filecache.Cache implement it. The host reads the
// update before each upstream fetch (inside the cache's lease or lock, when
// Token calls fetch) and stores the one a fetch brings, before Token
// returns.
//
// Implementations must keep values sealed, never put a value in a key, an
// error or a log line, and must be safe for concurrent use.
type SettingsCache interface {
	// Settings returns the update stored for key and its generation (0
	// and nil: none, or none that opens).
	Settings(ctx context.Context, key string) (gen uint64, settings map[string]string, err error)
	// StoreSettings stores settings as key's update of generation gen,
	// unless the one stored is of gen or newer: of two processes that
	// rotated at once, the first to store wins, and a process whose store
	// failed does not later overwrite a newer update with an older one.
	StoreSettings(ctx context.Context, key string, gen uint64, settings map[string]string) error
}

// shared puts the shared cache, if any, in front of a provider's fetch.
//
// Every token fetched upstream gets the refresh point this host computes
// for it (newEntry: 80% of its lifetime or the provider's hint) as its
// refresh_at hint before it is stored, so every process renews it at the
// same moment, by the same rule, and one fetch serves them all.
func (o *options) shared(name string, cfg ProviderConfig, key string, fetch fetchFunc) fetchFunc {
	fetch = o.onHostClock(fetch)
	if o.cache == nil {
		return fetch
	}
	// last is the token this provider last got: with force, it is the one
	// just invalidated, which must not come back from the cache.
	var last atomic.Pointer[oauth2.Token]
	return func(ctx context.Context, force bool) (*oauth2.Token, error) {
		key, rejected := key, ""
		if l := last.Load(); force && l != nil {
			rejected = l.AccessToken
		}
		cf := challengeOf(ctx)
		if cf != nil {
			// A challenge's token has a key of its own (Key is a keyed
			// hash: the challenge's text is not in it).
			key, rejected = o.cache.Key(cachePluginName(cfg), withChallenge(cfg.Settings, cf.key)), cf.rejected
		}
		ctx, lookup := cacheLookupStart(ctx)
		tok, err := o.cache.Token(ctx, key, rejected, func(ctx context.Context) (*oauth2.Token, error) {
			lookup.fetched.Store(true)
			if cf != nil && challengeOf(ctx) != cf {
				// A cache that fetched on a context of its own must not
				// turn the challenge's fetch into the default token's.
				ctx = context.WithValue(ctx, challengeFetchKey{}, cf)
			}
			tok, err := fetch(ctx, force)
			if err != nil || tok == nil {
				return tok, err
			}
			e, err := arrived(tok, o.now(), o)
			if err != nil {
				return nil, err // never stored for the other processes
			}
			if !e.refreshAt.IsZero() {
				tok = plugin.WithRefreshAt(tok, e.refreshAt)
			}
			return tok, nil
		})
		o.tel.cacheLookupDone(name, lookup, err)
		if err == nil && tok != nil && cf == nil {
			last.Store(tok)
		}
		return tok, err
	}
}

// withChallenge returns settings plus the challenge pseudo-setting.
func withChallenge(settings map[string]string, challenge string) map[string]string {
	m := maps.Clone(settings)
	if m == nil {
		m = map[string]string{}
	}
	m[challengeSetting] = challenge
	return m
}

// cachePluginName is the plugin part of a provider's cache identity: its
// plugin name, or for an explicit binary path, the name the binary's
// tokenplug-<name> file name implies.
func cachePluginName(cfg ProviderConfig) string {
	if cfg.Plugin != "" {
		return cfg.Plugin
	}
	name := strings.TrimPrefix(filepath.Base(cfg.Path), "tokenplug-")
	if !validName.MatchString(name) {
		return "plugin"
	}
	return name
}
