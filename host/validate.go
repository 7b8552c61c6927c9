package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/plugin"
)

// ConfigError is a problem with one value of a provider's configuration.
// Path locates the value inside the provider's configuration, with the
// keys of the configuration file: "plugin", "sha256", "hosts[1]",
// "settings.apikey", or "" for the provider's name itself. A configuration
// loader prefixes it ("providers.watson." + Path) to point at the line.
// The message never holds a setting's value.
//
// Register returns ConfigErrors (joined with errors.Join when there are
// several), and so does Warm for a plugin that cannot be found. (Settings
// the plugin does not declare or requires are its own verdict: Warm
// returns them as an *Error holding plugin.SettingErrors, which name the
// keys.) errors.Is(err, plugin.ErrConfig) is true for every ConfigError.
type ConfigError struct {
	Provider string // the provider's name
	Path     string // the value's path in the provider's configuration
	Err      error  // what is wrong with it
}

// Error returns `tokenplug: provider "<name>": <path>: <what is wrong>`.
func (e *ConfigError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("tokenplug: provider %q: %v", e.Provider, e.Err)
	}
	return fmt.Sprintf("tokenplug: provider %q: %s: %v", e.Provider, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// Is reports whether target is plugin.ErrConfig: a configuration error is
// never worth retrying.
func (e *ConfigError) Is(target error) bool { return target == plugin.ErrConfig }

// Validate reports every problem Register would find in cfg for a
// provider called name, without registering it: nil, or an errors.Join of
// *ConfigError. Checks that need the plugin (that it exists, which settings
// it declares) are Warm's.
func (cfg ProviderConfig) Validate(name string) error {
	_, err := validate(name, cfg)
	return err
}

// provider is a validated provider configuration: its own copy of the
// caller's config, with the pin decoded and the host patterns parsed, once.
type provider struct {
	name  string
	cfg   ProviderConfig     // cloned: the caller may reuse its maps and slices
	pin   []byte             // the decoded sha256 pin; nil: unpinned
	hosts *hostmatch.Matcher // the parsed Hosts; nil when there are none
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// validate checks cfg and returns the provider it describes, or every
// problem found, joined.
func validate(name string, cfg ProviderConfig) (*provider, error) {
	p := &provider{name: name, cfg: ProviderConfig{
		Plugin: cfg.Plugin, Path: cfg.Path, Args: slices.Clone(cfg.Args), SHA256: cfg.SHA256,
		Hosts: slices.Clone(cfg.Hosts), AllowInsecure: cfg.AllowInsecure, Settings: maps.Clone(cfg.Settings), Isolate: cfg.Isolate,
	}}
	var errs []error
	fail := func(path string, err error) {
		errs = append(errs, &ConfigError{Provider: name, Path: path, Err: err})
	}
	if !validName.MatchString(name) {
		fail("", errors.New("not a provider name: use letters, digits, '.', '_' or '-'"))
	}
	switch {
	case cfg.Plugin == "" && cfg.Path == "":
		fail("plugin", errors.New("required"))
	case cfg.Plugin != "" && !validName.MatchString(cfg.Plugin):
		fail("plugin", fmt.Errorf("%q is not a plugin name: use letters, digits, '.', '_' or '-'", cfg.Plugin))
	}
	if cfg.SHA256 != "" {
		if p.pin = decodePin(cfg.SHA256); p.pin == nil {
			fail("sha256", errors.New("not a hex SHA-256 digest (64 hex digits)"))
		}
	}
	p.hosts = p.parseHosts(fail)
	return p, errors.Join(errs...)
}

// parseHosts parses the host patterns, reporting each invalid one at its
// index.
func (p *provider) parseHosts(fail func(string, error)) *hostmatch.Matcher {
	if len(p.cfg.Hosts) == 0 {
		return nil
	}
	m, err := hostmatch.Parse(p.cfg.Hosts...)
	if err == nil {
		return m
	}
	for i, h := range p.cfg.Hosts {
		if err := hostmatch.Check(h); err != nil {
			fail(fmt.Sprintf("hosts[%d]", i), err)
		}
	}
	return nil
}

// decodePin returns the digest a hex sha256 pin stands for, or nil.
func decodePin(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return nil
	}
	return b
}
