package host

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tokenplug/tokenplug/host/rediscache"
	"github.com/tokenplug/tokenplug/hostmatch"
)

// Config is a tokenplug configuration file: where plugins live, the
// providers, and the optional shared cache. Build one with LoadConfig or
// ParseConfig, then a Registry with NewRegistry. The file looks like:
//
//	plugin_dir: ./bin            # searched after built-ins, before $PATH
//	providers:
//	  watson:
//	    plugin: iam
//	    sha256: ""               # optional pin of the plugin binary
//	    hosts: ["*.watson.cloud.ibm.com"]  # optional: default, the plugin's vendor hosts
//	    allow_insecure: false    # optional: true lets tokens go over plain http
//	    settings:
//	      apikey: ${IBM_APIKEY}
//	cache:                       # optional
//	  redis:
//	    url: redis://127.0.0.1:6379/0
//	    encryption_key: ${TOKENPLUG_CACHE_KEY}
//	    key_prefix: myapp
//
// String values may use ${VAR}, replaced by the environment variable VAR; a
// variable that is not set is an error naming it, unless a default is given
// as ${VAR:-default} (used when VAR is unset or empty). $$ stands for a
// literal $; any other $ is kept as is. Expansion happens after the YAML is
// parsed, inside values only, so an environment variable's value can never
// change the file's structure.
//
// Unknown keys are errors, reported with their line. Settings are checked
// against the plugin's declared settings when its plugin starts (tokenplug
// check does that for every provider).
type Config struct {
	// File is the file's path as given, for error messages.
	File string
	// PluginDir is searched for tokenplug-<plugin> binaries before $PATH.
	// A relative plugin_dir in the file is resolved against the file's
	// directory.
	PluginDir string
	// Providers maps each provider's name to its configuration.
	Providers map[string]ProviderConfig
	// Cache is the optional shared cache tier; nil when the file has no
	// cache section.
	Cache *CacheConfig

	lines map[string]int // config path (providers.x.plugin) -> line, for errors
}

// CacheConfig is the file's cache section. NewRegistry (through Options)
// turns cache.redis into a shared rediscache.Cache.
type CacheConfig struct {
	// Redis configures a Redis server shared by every replica.
	Redis *RedisCacheConfig
}

// RedisCacheConfig is the file's cache.redis section.
type RedisCacheConfig struct {
	// URL is the server, as redis://[user:password@]host:port/db.
	URL string
	// EncryptionKey is the base64 of 32 random bytes sealing cached tokens.
	EncryptionKey string
	// KeyPrefix is prepended to every key, to share a server between
	// applications.
	KeyPrefix string
	// Topology is Redis Cluster or Sentinel and the TLS files (cluster,
	// master_name, sentinel_username, sentinel_password, ca_file,
	// cert_file, key_file); see rediscache.Topology.
	rediscache.Topology
}

// maxConfigSize bounds the file read: a config with hundreds of providers
// is a few tens of kilobytes.
const maxConfigSize = 1 << 20

// LoadConfig reads and checks the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenplug: config %s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	return ParseConfig(f, path)
}

// ParseConfig reads and checks a configuration from r. name is the file's
// path: it appears in error messages, and a relative plugin_dir is resolved
// against its directory.
func ParseConfig(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("tokenplug: config %s: %w", name, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("tokenplug: config %s: larger than %d bytes", name, maxConfigSize)
	}
	if err := checkKeys(name, data); err != nil {
		return nil, err
	}
	var raw rawConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) { // EOF: empty file
		return nil, yamlError(name, data, err)
	}
	b := &builder{cfg: &Config{File: name, Providers: map[string]ProviderConfig{}, lines: keyLines(data)}}
	b.build(&raw)
	if b.err != nil {
		return nil, b.err
	}
	if dir := b.cfg.PluginDir; dir != "" && !filepath.IsAbs(dir) {
		b.cfg.PluginDir = absPath(filepath.Join(filepath.Dir(name), dir))
	}
	return b.cfg, nil
}

// Options returns the registry options the file asks for: its plugin
// directory and, with a cache.redis section, a shared Redis cache (see
// rediscache). The cache does not connect until a token is fetched; a bad
// cache.redis.url or encryption_key is an error located in the file. Pass
// the options to NewRegistry, which then owns the cache; NewRegistry calls
// Options itself.
func (c *Config) Options() ([]Option, error) { return c.options(slog.Default(), true) }

// options is Options with the logger for the cache's few log lines, and
// without the cache unless withCache.
func (c *Config) options(logger *slog.Logger, withCache bool) ([]Option, error) {
	var opts []Option
	if c.PluginDir != "" {
		opts = append(opts, WithPluginDir(c.PluginDir))
	}
	if withCache && c.Cache != nil && c.Cache.Redis != nil {
		r := c.Cache.Redis
		cache, err := rediscache.New(rediscache.Config{URL: r.URL, EncryptionKey: r.EncryptionKey, KeyPrefix: r.KeyPrefix, Topology: r.Topology, Logger: logger})
		var se *rediscache.SettingError
		switch {
		case errors.As(err, &se):
			return nil, c.Errorf(se.Setting, "%s", se.Message) // never holds the password or key
		case err != nil:
			return nil, fmt.Errorf("%s: %w", c.where("cache.redis"), err)
		}
		opts = append(opts, WithCache(cache))
	}
	return opts, nil
}

// NewRegistry returns a Registry with every provider of the file
// registered; opts are applied after the file's own (see Options), and a
// WithCache among them replaces the file's cache. Plugins start on first
// use. The caller must Close the registry.
func (c *Config) NewRegistry(opts ...Option) (*Registry, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o) // only to learn the caller's logger and cache
	}
	base, err := c.options(o.logger, o.cache == nil)
	if err != nil {
		return nil, err
	}
	r := NewRegistry(append(base, opts...)...)
	for _, name := range c.Names() {
		if err := r.Register(name, c.Providers[name]); err != nil {
			r.Close()
			msg := c.where("providers."+name) + ": " + strings.TrimPrefix(err.Error(), "tokenplug: ")
			return nil, &messageError{msg: msg, err: err}
		}
	}
	return r, nil
}

// Names returns the providers' names, sorted.
func (c *Config) Names() []string { return slices.Sorted(maps.Keys(c.Providers)) }

// Errorf returns an error about the value at path (such as
// "providers.watson.settings.apikey"), located at its line in the file:
//
//	tokenplug: config tokenplug.yaml:12: providers.watson.settings.apikey: <message>
//
// Never put a setting's value in the message.
func (c *Config) Errorf(path, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", c.where(path), path, fmt.Sprintf(format, args...))
}

// Position returns "FILE:LINE" for the value at path, or for its nearest
// ancestor the file has (a setting left out is placed at its provider), or
// just "FILE".
func (c *Config) Position(path string) string {
	for p := path; p != ""; {
		if line := c.lines[p]; line > 0 {
			return fmt.Sprintf("%s:%d", c.File, line)
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return c.File
}

func (c *Config) where(path string) string { return "tokenplug: config " + c.Position(path) }

// The raw* types mirror the file; the decoder rejects keys they lack.
type rawConfig struct {
	PluginDir string                 `yaml:"plugin_dir"`
	Providers map[string]rawProvider `yaml:"providers"`
	Cache     *rawCache              `yaml:"cache"`
}

type rawProvider struct {
	Plugin        string            `yaml:"plugin"`
	SHA256        string            `yaml:"sha256"`
	Hosts         []string          `yaml:"hosts"`
	AllowInsecure bool              `yaml:"allow_insecure"`
	Settings      map[string]string `yaml:"settings"`
}

type rawCache struct {
	Redis *rawRedis `yaml:"redis"`
}

type rawRedis struct {
	URL           string `yaml:"url"`
	EncryptionKey string `yaml:"encryption_key"`
	KeyPrefix     string `yaml:"key_prefix"`

	Cluster          bool   `yaml:"cluster"`
	MasterName       string `yaml:"master_name"`
	SentinelUsername string `yaml:"sentinel_username"`
	SentinelPassword string `yaml:"sentinel_password"`
	CAFile           string `yaml:"ca_file"`
	CertFile         string `yaml:"cert_file"`
	KeyFile          string `yaml:"key_file"`
}

// builder turns a rawConfig into a Config, expanding variables and
// checking values; it keeps the first error.
type builder struct {
	cfg *Config
	err error
}

func (b *builder) fail(path, format string, args ...any) {
	if b.err == nil {
		b.err = b.cfg.Errorf(path, format, args...)
	}
}

// value returns s with its variables expanded.
func (b *builder) value(path, s string) string {
	v, err := expandEnv(s, os.LookupEnv)
	if err != nil {
		b.fail(path, "%v", err)
	}
	return v
}

func (b *builder) build(raw *rawConfig) {
	b.cfg.PluginDir = b.value("plugin_dir", raw.PluginDir)
	for _, name := range slices.Sorted(maps.Keys(raw.Providers)) {
		b.provider(name, raw.Providers[name])
	}
	if raw.Cache != nil {
		b.cache(raw.Cache)
	}
}

func (b *builder) provider(name string, rp rawProvider) {
	path := "providers." + name
	p := ProviderConfig{
		Plugin:        b.value(path+".plugin", rp.Plugin),
		SHA256:        b.value(path+".sha256", rp.SHA256),
		AllowInsecure: rp.AllowInsecure,
	}
	for i, h := range rp.Hosts {
		p.Hosts = append(p.Hosts, b.value(fmt.Sprintf("%s.hosts[%d]", path, i), h))
	}
	if len(rp.Settings) > 0 {
		p.Settings = map[string]string{}
	}
	for k, v := range rp.Settings {
		p.Settings[k] = b.value(path+".settings."+k, v)
	}
	switch {
	case !validName.MatchString(name):
		b.fail(path, "provider name: use letters, digits, '.', '_' or '-'")
	case p.Plugin == "":
		b.fail(path+".plugin", "required")
	case !validName.MatchString(p.Plugin):
		b.fail(path+".plugin", "%q is not a plugin name", p.Plugin)
	}
	if sum, err := hex.DecodeString(p.SHA256); p.SHA256 != "" && (err != nil || len(sum) != 32) {
		b.fail(path+".sha256", "not a hex SHA-256 digest (64 hex digits)")
	}
	if err := hostmatch.Check(p.Hosts...); err != nil {
		b.fail(path+".hosts", "%v", err)
	}
	b.cfg.Providers[name] = p
}

func (b *builder) cache(rc *rawCache) {
	if rc.Redis == nil {
		b.fail("cache", "set cache.redis, or leave the cache section out for an in-memory cache")
		return
	}
	r := &RedisCacheConfig{
		URL:           b.value("cache.redis.url", rc.Redis.URL),
		EncryptionKey: b.value("cache.redis.encryption_key", rc.Redis.EncryptionKey),
		KeyPrefix:     b.value("cache.redis.key_prefix", rc.Redis.KeyPrefix),
		Topology: rediscache.Topology{
			Cluster:          rc.Redis.Cluster,
			MasterName:       b.value("cache.redis.master_name", rc.Redis.MasterName),
			SentinelUsername: b.value("cache.redis.sentinel_username", rc.Redis.SentinelUsername),
			SentinelPassword: b.value("cache.redis.sentinel_password", rc.Redis.SentinelPassword),
			CAFile:           b.value("cache.redis.ca_file", rc.Redis.CAFile),
			CertFile:         b.value("cache.redis.cert_file", rc.Redis.CertFile),
			KeyFile:          b.value("cache.redis.key_file", rc.Redis.KeyFile),
		},
	}
	if r.URL == "" {
		b.fail("cache.redis.url", "required")
	}
	b.cfg.Cache = &CacheConfig{Redis: r}
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// unwrapPathErr drops the path from an *os.PathError; the caller names it.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
