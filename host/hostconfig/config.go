// Package hostconfig loads a tokenplug configuration file (tokenplug.yaml,
// the file the tokenplug CLI reads) and builds a host.Registry from it,
// with the shared Redis cache (package rediscache) when the file asks for
// one. It is the one place that composes host and rediscache: a program
// that builds its Registry in code imports host alone, and links neither
// YAML nor Redis.
//
// Every error names the file and line of the value it is about:
//
//	tokenplug: config tokenplug.yaml:12: providers.watson.hosts[1]: host pattern "*.com": ...
package hostconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/tokenplug/tokenplug/host"
)

// Config is a tokenplug configuration file: where plugins live, the
// providers, and the optional shared cache. Build one with Load or Parse,
// then a Registry with NewRegistry. The file looks like:
//
//	plugin_dir: ./bin            # searched after built-ins, before $PATH
//	warm: false                  # optional: true starts every plugin at once, in the background
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
// Unknown keys are errors, reported with their line, and so is every value
// host.Registry.Register would refuse (see host.ProviderConfig.Validate).
// Settings are checked against the plugin's declared settings when its
// plugin starts: host.Registry.Warm does that for every provider, and
// Locate places its errors in the file (tokenplug check does both).
type Config struct {
	// File is the file's path as given, for error messages.
	File string
	// PluginDir is searched for tokenplug-<plugin> binaries before $PATH.
	// A relative plugin_dir in the file is resolved against the file's
	// directory.
	PluginDir string
	// Warm starts every provider's plugin and fetches its first token in
	// the background as soon as it is registered (host.WithWarmOnRegister).
	Warm bool
	// Providers maps each provider's name to its configuration.
	Providers map[string]host.ProviderConfig
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
}

// maxConfigSize bounds the file read: a config with hundreds of providers
// is a few tens of kilobytes.
const maxConfigSize = 1 << 20

// Load reads and checks the configuration file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenplug: config %s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads and checks a configuration from r. name is the file's
// path: it appears in error messages, and a relative plugin_dir is resolved
// against its directory.
func Parse(r io.Reader, name string) (*Config, error) {
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
	b := &builder{cfg: &Config{File: name, Providers: map[string]host.ProviderConfig{}, lines: keyLines(data)}}
	b.build(&raw)
	if b.err != nil {
		return nil, b.err
	}
	if err := b.cfg.validate(); err != nil {
		return nil, err
	}
	if dir := b.cfg.PluginDir; dir != "" && !filepath.IsAbs(dir) {
		b.cfg.PluginDir = absPath(filepath.Join(filepath.Dir(name), dir))
	}
	return b.cfg, nil
}

// Names returns the providers' names, sorted.
func (c *Config) Names() []string { return slices.Sorted(maps.Keys(c.Providers)) }

// The raw* types mirror the file; the decoder rejects keys they lack.
type rawConfig struct {
	PluginDir string                 `yaml:"plugin_dir"`
	Warm      bool                   `yaml:"warm"`
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
	b.cfg.Warm = raw.Warm
	for _, name := range slices.Sorted(maps.Keys(raw.Providers)) {
		b.provider(name, raw.Providers[name])
	}
	if raw.Cache != nil {
		b.cache(raw.Cache)
	}
}

func (b *builder) provider(name string, rp rawProvider) {
	path := "providers." + name
	p := host.ProviderConfig{
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
