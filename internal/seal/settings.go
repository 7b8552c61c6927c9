package seal

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
)

// Settings is a settings update a provider asked its host to keep (a
// rotated refresh token, say), as the shared cache tiers store it next to
// a configuration's token. Gen orders updates: each one a host makes has a
// Gen above the one it replaced, so a store keeps the newest of two
// written at once, and a host adopts a stored update only when it is newer
// than its own.
type Settings struct {
	Gen      uint64            `json:"gen"`
	Settings map[string]string `json:"settings"`
}

// settingsVersion starts every sealed Settings: a value of another kind
// (a token, version 1) never opens as one.
const settingsVersion = 0x53 // 'S'

// settingsAD binds a sealed Settings to its key, apart from the token
// sealed under the same key.
func settingsAD(key string) []byte { return []byte(key + "\x00settings") }

// SealSettings encrypts s with aead under a random nonce, bound to key as
// SealSettings' additional data. Layout: version byte, nonce, ciphertext.
func SealSettings(aead cipher.AEAD, key string, s Settings) ([]byte, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return sealBytes(aead, settingsVersion, plain, settingsAD(key))
}

// OpenSettings decrypts a value SealSettings wrote under key, or returns
// ErrCorrupt.
func OpenSettings(aead cipher.AEAD, key string, b []byte) (Settings, error) {
	plain, err := openBytes(aead, settingsVersion, b, settingsAD(key))
	if err != nil {
		return Settings{}, err
	}
	var s Settings
	if err := json.Unmarshal(plain, &s); err != nil || s.Gen == 0 || len(s.Settings) == 0 {
		return Settings{}, ErrCorrupt
	}
	return s, nil
}

// NewMemoryKey returns an AEAD under a fresh random key, for sealing
// values a process keeps in its own memory (a host's settings updates):
// they then never sit in the clear in a heap that a core dump or a
// debugger would show whole.
func NewMemoryKey() (cipher.AEAD, error) {
	secret := make([]byte, KeyLen)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	_, aead, err := Keys(secret)
	return aead, err
}
