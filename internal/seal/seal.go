// Package seal is the sealed token format the shared cache tiers store
// (host/rediscache and host/filecache): a token and what the host needs to
// use it, encrypted with AES-256-GCM and bound to its cache key, and the
// keyed hash that names a provider configuration in a cache. Both keys
// derive from one 32-byte secret with HKDF-SHA256.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
)

// KeyLen is the size of the secret: AES-256.
const KeyLen = 32

// HKDF labels: one secret, two independent keys.
const (
	labelNames  = "tokenplug cache key names v1"
	labelValues = "tokenplug cache values v1"
)

// Keys derives from secret the HMAC key that names configurations and the
// AEAD that seals values.
func Keys(secret []byte) (nameKey []byte, aead cipher.AEAD, err error) {
	if nameKey, err = hkdf.Key(sha256.New, secret, nil, labelNames, KeyLen); err != nil {
		return nil, nil, fmt.Errorf("derive key: %w", err)
	}
	valueKey, err := hkdf.Key(sha256.New, secret, nil, labelValues, KeyLen)
	if err != nil {
		return nil, nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(valueKey)
	if err != nil {
		return nil, nil, err
	}
	if aead, err = cipher.NewGCM(block); err != nil {
		return nil, nil, err
	}
	return nameKey, aead, nil
}

// Hash returns the hex HMAC-SHA256, under nameKey, of the plugin name and
// its settings. Settings that differ in any value give another hash, and
// the hash reveals nothing of them: without the key it cannot even be
// tested against guesses.
func Hash(nameKey []byte, pluginName string, settings map[string]string) string {
	// encoding/json writes map keys sorted: a canonical, unambiguous form.
	b, err := json.Marshal(struct {
		Plugin   string            `json:"plugin"`
		Settings map[string]string `json:"settings"`
	}{pluginName, settings})
	if err != nil {
		panic("seal: marshal settings: " + err.Error()) // strings always marshal
	}
	mac := hmac.New(sha256.New, nameKey)
	mac.Write(b)
	return hex.EncodeToString(mac.Sum(nil))
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

// version starts every value, so a later format can coexist during a
// rolling upgrade (an unknown version is ignored like a corrupt value).
const version = 1

// ErrCorrupt is Open's error for a value that does not decrypt under its
// key: corrupt, tampered with, sealed under another key or secret.
var ErrCorrupt = errors.New("value does not decrypt")

// Seal encrypts tok with aead under a random nonce, bound to key as
// additional data so a value copied under another key does not open.
// Layout: version byte, nonce, ciphertext.
func Seal(aead cipher.AEAD, key string, tok *oauth2.Token) ([]byte, error) {
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
	return sealBytes(aead, version, plain, []byte(key))
}

// sealBytes encrypts plain with aead under a random nonce and additional
// data ad. Layout: the version byte v, nonce, ciphertext.
func sealBytes(aead cipher.AEAD, v byte, plain, ad []byte) ([]byte, error) {
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = v
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], plain, ad), nil
}

// openBytes decrypts what sealBytes wrote with version v and ad, or
// returns ErrCorrupt.
func openBytes(aead cipher.AEAD, v byte, b, ad []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(b) < 1+n || b[0] != v {
		return nil, ErrCorrupt
	}
	plain, err := aead.Open(nil, b[1:1+n], b[1+n:], ad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// Open decrypts a value Seal wrote under key, or returns ErrCorrupt.
func Open(aead cipher.AEAD, key string, b []byte) (*oauth2.Token, error) {
	plain, err := openBytes(aead, version, b, []byte(key))
	if err != nil {
		return nil, err
	}
	var s sealed
	if err := json.Unmarshal(plain, &s); err != nil || s.AccessToken == "" {
		return nil, ErrCorrupt
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
