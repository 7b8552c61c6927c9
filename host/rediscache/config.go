package rediscache

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Config configures a Cache. URL and EncryptionKey are required; the other
// fields have useful zero values. (In a tokenplug.yaml, package hostconfig
// reads them from cache.redis: url, encryption_key, key_prefix.)
type Config struct {
	// URL is the server: redis://[user:password@]host:port/db, or rediss://
	// for TLS.
	URL string
	// EncryptionKey is the base64 of 32 random bytes, e.g.
	// from `openssl rand -base64 32`. Every process sharing tokens must use
	// the same key; processes with different keys use different cache keys
	// and never see each other's values.
	EncryptionKey string
	// KeyPrefix starts every Redis key the cache writes.
	// Default "tokenplug/".
	KeyPrefix string
	// Topology selects Redis Cluster or Sentinel and the TLS files; its
	// zero value is the one server URL names.
	Topology

	// Logger receives the cache's few log lines (outage, recovery) and
	// go-redis's own (a failed dial), which go-redis would otherwise write
	// to stderr: go-redis has one logger per process, so the most recent
	// New's Logger gets them. Default slog.Default().
	Logger *slog.Logger
	// Timeout bounds each Redis call, so a slow Redis cannot stall a token
	// fetch. Default 300ms.
	Timeout time.Duration
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// FieldError is the error of New and Validate for a bad Config field.
// Field is the field's name (URL, EncryptionKey), so that a configuration
// loader can point at the line that set it; Err never holds a password or
// a key.
type FieldError struct {
	Field string
	Err   error
}

// Error returns "tokenplug/rediscache: <Field>: <what is wrong>".
func (e *FieldError) Error() string {
	return "tokenplug/rediscache: " + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// DefaultKeyPrefix is the key prefix when Config.KeyPrefix is empty.
const DefaultKeyPrefix = "tokenplug/"

// defaultTimeout: a Redis on the same network answers in well under a
// millisecond; 300ms rides out a hiccup yet keeps a dead Redis from
// delaying a fetch noticeably.
const defaultTimeout = 300 * time.Millisecond

// keyLen is the size of encryption_key: AES-256.
const keyLen = 32

// HKDF labels: one secret, two independent keys (key names, value sealing).
const (
	labelNames  = "tokenplug cache key names v1"
	labelValues = "tokenplug cache values v1"
)

// Validate reports the first bad field of cfg as New would, without
// building a client: a *FieldError. No error contains the password or the
// key.
func (cfg Config) Validate() error {
	_, _, err := cfg.parse()
	return err
}

// parse checks the URL, topology and TLS files, then decodes the key; its
// errors are *FieldError.
func (cfg Config) parse() (secret []byte, conn *connector, err error) {
	if conn, err = newConnector(cfg); err != nil {
		return nil, nil, err
	}
	if secret, err = decodeKey(cfg.EncryptionKey); err != nil {
		return nil, nil, &FieldError{Field: "EncryptionKey", Err: err}
	}
	return secret, conn, nil
}

// New returns a Cache for cfg. It does not wait for Redis: the first token
// fetch connects, and an unreachable Redis then only means fetching
// locally (with rediss://, a background PING checks the certificates at
// once and logs a failure naming the setting). A bad
// URL or key is a *FieldError naming it; no error contains the password
// or the key.
func New(cfg Config) (*Cache, error) {
	secret, conn, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	c := &Cache{prefix: cfg.KeyPrefix, log: cfg.Logger, timeout: cfg.Timeout, now: cfg.Now}
	if c.prefix == "" {
		c.prefix = DefaultKeyPrefix
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	routeRedisLog(c.log)
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.nameKey, err = hkdf.Key(sha256.New, secret, nil, labelNames, keyLen); err != nil {
		return nil, fmt.Errorf("tokenplug/rediscache: derive key: %w", err)
	}
	valueKey, err := hkdf.Key(sha256.New, secret, nil, labelValues, keyLen)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/rediscache: derive key: %w", err)
	}
	block, err := aes.NewCipher(valueKey)
	if err != nil {
		return nil, fmt.Errorf("tokenplug/rediscache: %w", err)
	}
	if c.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("tokenplug/rediscache: %w", err)
	}
	c.rdb = conn.client(c.timeout)
	if conn.tls {
		c.probed = make(chan struct{})
		var ctx context.Context
		ctx, c.stopProbe = context.WithCancel(context.Background())
		go c.probe(ctx)
	}
	return c, nil
}

// decodeKey reads a base64 key, padded or not, standard or URL alphabet.
// Its errors never quote the value.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("required: base64 of 32 random bytes (openssl rand -base64 32)")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != keyLen {
			return nil, fmt.Errorf("decodes to %d bytes, want %d (openssl rand -base64 32)", len(b), keyLen)
		}
		return b, nil
	}
	return nil, errors.New("not base64: want base64 of 32 random bytes (openssl rand -base64 32)")
}

// parseURL parses a redis:// or rediss:// URL with go-redis, keeping any
// password out of the error.
func parseURL(raw string) (*redis.Options, error) {
	u, err := parseRedisURL(raw)
	if err != nil {
		return nil, err
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		msg := err.Error()
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
		return nil, errors.New(msg)
	}
	return opt, nil
}

// tune makes every Redis call fail fast: the cache is an optimisation, and
// a slow answer must turn into a local fetch rather than a slow request.
func tune(opt *redis.Options, timeout time.Duration) {
	opt.DialTimeout = timeout
	opt.ReadTimeout = timeout
	opt.WriteTimeout = timeout
	opt.ContextTimeoutEnabled = true
	opt.MaxRetries = -1   // a failed call falls back to a local fetch; retrying only delays it
	opt.DialerRetries = 1 // likewise for a refused connection
	opt.DisableIdentity = true
	// Maintenance notifications are a Redis Cloud feature that runs extra
	// machinery per connection; a token cache has no use for it.
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}
