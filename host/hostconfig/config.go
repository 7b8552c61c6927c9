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
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/rediscache"
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
//	    path: ""                 # optional: run this binary (relative: to this file)
//	    sha256: ""               # optional pin of the plugin binary
//	    hosts: ["*.watson.cloud.ibm.com"]  # optional: default, the plugin's vendor hosts; [] is an error
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
// as ${VAR:-default} (used when VAR is unset or empty); every unset
// variable is named, in the file's order. $$ stands for a
// literal $; any other $ is kept as is. Expansion happens after the YAML is
// parsed, inside values only, so an environment variable's value can never
// change the file's structure.
//
// Aliases are followed, but every value read spends from a budget of
// values and of bytes (each read of an aliased value counts again), so a
// small file cannot expand into gigabytes.
//
// An exec provider (plugins/exec) gets two settings filled in: dir, when
// not set, is the file's directory; and env_values holds the application's
// values of the environment variables its env setting names, the only ones
// its helper sees besides PATH and HOME (plugins run with a clean
// environment, so the values travel in a secret setting, as secrets do).
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
	// Unavailable holds, for LoadPartial and ParsePartial, the providers
	// left out of Providers because a value names an environment variable
	// that is not set or a file that does not exist: each one's error
	// names every such variable and path, at its line.
	Unavailable map[string]error

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

// Load reads and checks the configuration file at path.
//
// On Unix, Load refuses a file that another user could have written (not
// owned by the current user or root, or writable by group or others), and
// so does it for the plugin binaries, plugin_dir, path and *_file settings
// the file names: a tokenplug.yaml planted in a shared directory would
// otherwise run its author's program with the reader's environment, as a
// planted .git/config did (CVE-2022-24765). The error names the file, its
// owner and mode, and wraps ErrUntrusted. $TOKENPLUG_TRUST (TrustEnv)
// lists files and directories to use anyway, for a deliberately shared
// setup. On Windows, ownership is not checked.
func Load(path string) (*Config, error) { return load(path, false) }

func load(path string, partial bool) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenplug: config %s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if err := checkTrusted("config file", path, fi); err != nil {
			return nil, fmt.Errorf("tokenplug: config %s: %w", path, err)
		}
	}
	return parse(f, path, partial)
}

// LoadPartial is Load, except that a provider whose values name an unset
// environment variable or a missing file does not fail the file: it is
// left out of Providers and its error kept in Unavailable, so the other
// providers still work (the tokenplug CLI loads its file this way).
func LoadPartial(path string) (*Config, error) { return load(path, true) }

// Parse reads and checks a configuration from r. name is the file's
// path: it appears in error messages, and a relative plugin_dir, path or
// *_file setting (see FileSuffix) is resolved against its directory. The
// files it names are checked as Load checks them; r itself is the
// caller's to trust.
func Parse(r io.Reader, name string) (*Config, error) { return parse(r, name, false) }

// ParsePartial is Parse as LoadPartial reads.
func ParsePartial(r io.Reader, name string) (*Config, error) { return parse(r, name, true) }

func parse(r io.Reader, name string, partial bool) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("tokenplug: config %s: %w", name, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("tokenplug: config %s: larger than %d bytes", name, maxConfigSize)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(name, data, err)
	}
	if err := checkKeys(name, &doc); err != nil {
		return nil, err
	}
	cfg := &Config{File: name, Providers: map[string]host.ProviderConfig{}, Unavailable: map[string]error{}, lines: map[string]int{}}
	d := &decoder{cfg: cfg, budget: maxValues, bytes: maxValueBytes, partial: partial}
	d.document(&doc)
	if len(d.errs) > 0 {
		return nil, joinErrors(name, d.errs)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if dir := cfg.PluginDir; dir != "" && !filepath.IsAbs(dir) {
		cfg.PluginDir = absPath(filepath.Join(filepath.Dir(name), dir))
	}
	if err := cfg.checkNamedFiles(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Names returns the providers' names, sorted.
func (c *Config) Names() []string { return slices.Sorted(maps.Keys(c.Providers)) }

// maxErrors bounds the problems reported for one file: past a screenful,
// more only hide the first.
const maxErrors = 20

// joinErrors joins errs, one per line, at most maxErrors of them.
func joinErrors(name string, errs []error) error {
	if len(errs) > maxErrors {
		more := fmt.Errorf("tokenplug: config %s: and %d more problems", name, len(errs)-maxErrors)
		errs = append(errs[:maxErrors:maxErrors], more)
	}
	return errors.Join(errs...)
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
