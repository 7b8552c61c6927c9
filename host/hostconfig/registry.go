package hostconfig

import (
	"errors"
	"log/slog"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/rediscache"
)

// Options returns the registry options the file asks for: its plugin
// directory, warm, and with a cache.redis section a shared Redis cache (see
// rediscache), logging to logger (nil: slog.Default()). The cache does not
// connect until a token is fetched. The Registry the options are given to
// owns the cache; if the options are not used, close it with a Registry:
// host.NewRegistry(opts...).Close().
func (c *Config) Options(logger *slog.Logger) ([]host.Option, error) {
	var opts []host.Option
	if c.PluginDir != "" {
		opts = append(opts, host.WithPluginDir(c.PluginDir))
	}
	if c.Warm {
		opts = append(opts, host.WithWarmOnRegister())
	}
	if c.Cache == nil || c.Cache.Redis == nil {
		return opts, nil
	}
	cache, err := rediscache.New(c.Cache.Redis.config(logger))
	if err != nil {
		return nil, c.locateCache(err)
	}
	return append(opts, host.WithCache(cache)), nil
}

// NewRegistry returns a Registry with every provider of the file
// registered. opts are applied after the file's own options (see Options;
// the file's cache logs to slog.Default()), so a host.WithCache among them
// replaces the file's cache. Plugins start on first use, or at once with
// warm: true; call the Registry's Warm to start them and see their errors
// (Locate places those in the file). The caller must Close the registry.
func (c *Config) NewRegistry(opts ...host.Option) (*host.Registry, error) {
	base, err := c.Options(nil)
	if err != nil {
		return nil, err
	}
	r := host.NewRegistry(append(base, opts...)...)
	if err := c.Register(r); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Register registers every provider of the file with r, for a caller that
// builds its Registry itself (to give the file's cache its own logger,
// say: host.NewRegistry(append(cfg.Options(logger), more...)...)). Its
// errors are located in the file; the providers registered stay.
func (c *Config) Register(r *host.Registry) error {
	var errs []error
	for _, name := range c.Names() {
		if err := r.Register(name, c.Providers[name]); err != nil {
			errs = append(errs, c.Locate(err))
		}
	}
	return errors.Join(errs...)
}

// config is the rediscache configuration of the section.
func (r *RedisCacheConfig) config(logger *slog.Logger) rediscache.Config {
	return rediscache.Config{URL: r.URL, EncryptionKey: r.EncryptionKey, KeyPrefix: r.KeyPrefix, Topology: r.Topology, Logger: logger}
}

// cacheKeys maps rediscache's field names to the file's keys.
var cacheKeys = map[string]string{
	"URL":           "cache.redis.url",
	"EncryptionKey": "cache.redis.encryption_key",
	"KeyPrefix":     "cache.redis.key_prefix",

	"Cluster":          "cache.redis.cluster",
	"MasterName":       "cache.redis.master_name",
	"SentinelUsername": "cache.redis.sentinel_username",
	"SentinelPassword": "cache.redis.sentinel_password",
	"CAFile":           "cache.redis.ca_file",
	"CertFile":         "cache.redis.cert_file",
	"KeyFile":          "cache.redis.key_file",
}

// locateCache places a rediscache error at its key in the file.
func (c *Config) locateCache(err error) error {
	var fe *rediscache.FieldError
	if errors.As(err, &fe) {
		if key, ok := cacheKeys[fe.Field]; ok {
			return c.errorAt(key, fe.Err, err) // never holds the password or key
		}
	}
	return c.errorAt("cache.redis", err, err)
}
