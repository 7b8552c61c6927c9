package rediscache

import (
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/seal"
)

// Key returns the Redis key for a provider configuration:
// <prefix><plugin>/{<hex HMAC-SHA256 of the plugin name and its settings>},
// keyed with a key derived from the encryption key. The braces are a Redis
// Cluster hash tag: the value, its lease (key:lease) and its channel
// (key:ready) hash to one slot, while providers spread over the slots. Settings that differ in
// any value (another API key, another token URL) give another key, and the
// key reveals nothing of them: without the encryption key the hash cannot
// even be tested against guesses.
func (c *Cache) Key(pluginName string, settings map[string]string) string {
	// The braces are a Redis Cluster hash tag: a provider's value, lease and
	// channel share one slot.
	return c.prefix + pluginName + "/{" + seal.Hash(c.nameKey, pluginName, settings) + "}"
}

// sealVersion starts every value (see package internal/seal, which holds
// the format, shared with host/filecache).
const sealVersion = 1

var errCorrupt = seal.ErrCorrupt

// seal encrypts tok with AES-GCM under a random nonce, bound to key as
// additional data so a value copied under another key does not open.
func (c *Cache) seal(key string, tok *oauth2.Token) ([]byte, error) {
	return seal.Seal(c.aead, key, tok)
}

// open decrypts a value written by seal under key.
func (c *Cache) open(key string, b []byte) (*oauth2.Token, error) {
	return seal.Open(c.aead, key, b)
}
