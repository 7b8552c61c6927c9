package rediscache

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
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
	// encoding/json writes map keys sorted: a canonical, unambiguous form.
	b, err := json.Marshal(struct {
		Plugin   string            `json:"plugin"`
		Settings map[string]string `json:"settings"`
	}{pluginName, settings})
	if err != nil {
		panic("rediscache: marshal settings: " + err.Error()) // strings always marshal
	}
	mac := hmac.New(sha256.New, c.nameKey)
	mac.Write(b)
	return c.prefix + pluginName + "/{" + hex.EncodeToString(mac.Sum(nil)) + "}"
}

// sealed is the plaintext of a stored value: the token and what the host
// needs to use it (its header and when to renew it).
type sealed struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type,omitempty"`
	Expiry      time.Time `json:"expiry,omitzero"`
	Header      string    `json:"header,omitempty"`
	RefreshAt   time.Time `json:"refresh_at,omitzero"`
}

// sealVersion starts every value, so a later format can coexist during a
// rolling upgrade (an unknown version is ignored like a corrupt value).
const sealVersion = 1

var errCorrupt = errors.New("value does not decrypt")

// seal encrypts tok with AES-GCM under a random nonce, bound to key as
// additional data so a value copied under another key does not open.
// Layout: version byte, nonce, ciphertext.
func (c *Cache) seal(key string, tok *oauth2.Token) ([]byte, error) {
	plain, err := json.Marshal(sealed{
		AccessToken: tok.AccessToken,
		TokenType:   tok.TokenType,
		Expiry:      tok.Expiry,
		Header:      tokenplug.HeaderOf(tok),
		RefreshAt:   tokenplug.RefreshAtOf(tok),
	})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+c.aead.NonceSize(), 1+c.aead.NonceSize()+len(plain)+c.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return c.aead.Seal(out, out[1:], plain, []byte(key)), nil
}

// open decrypts a value written by seal under key.
func (c *Cache) open(key string, b []byte) (*oauth2.Token, error) {
	n := c.aead.NonceSize()
	if len(b) < 1+n || b[0] != sealVersion {
		return nil, errCorrupt
	}
	plain, err := c.aead.Open(nil, b[1:1+n], b[1+n:], []byte(key))
	if err != nil {
		return nil, errCorrupt
	}
	var s sealed
	if err := json.Unmarshal(plain, &s); err != nil || s.AccessToken == "" {
		return nil, errCorrupt
	}
	tok := &oauth2.Token{AccessToken: s.AccessToken, TokenType: s.TokenType, Expiry: s.Expiry}
	if s.Header != "" {
		tok = tokenplug.WithHeader(tok, s.Header)
	}
	if !s.RefreshAt.IsZero() {
		tok = tokenplug.WithRefreshAt(tok, s.RefreshAt)
	}
	return tok, nil
}
