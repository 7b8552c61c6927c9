package main

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/hostmatch"
)

// lookupOrder is the one statement of how a provider's binary is chosen;
// help and tokenplug plugins show it.
const lookupOrder = `A provider runs the first of:
  1. the binary its path: names (relative to the configuration file);
  2. tokenplug-<plugin> in the configuration's plugin_dir;
  3. the built-in <plugin> of this tokenplug binary, unless the provider has
     a sha256 pin (a pin names a separate binary: built-ins are not pinned);
  4. tokenplug-<plugin> on $PATH.
A provider with a sha256 pin runs only a binary whose SHA-256 matches.`

// binary is the binary a provider runs: a path, or a built-in.
type binary struct {
	path string // "" for a built-in
	from string // "path", "plugin_dir", "built-in" or "$PATH"
}

func (b binary) String() string {
	if b.path == "" {
		return "built-in"
	}
	return b.path + " (" + b.from + ")"
}

// choose applies lookupOrder to provider name of cfg.
func choose(cfg *hostconfig.Config, name string) (binary, error) {
	pc := cfg.Providers[name]
	if pc.Path != "" {
		return binary{pc.Path, "path"}, nil
	}
	bin := "tokenplug-" + pc.Plugin
	if cfg.PluginDir != "" {
		path := filepath.Join(cfg.PluginDir, bin)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return binary{path, "plugin_dir"}, nil
		}
	}
	if _, ok := builtins[pc.Plugin]; ok && pc.SHA256 == "" {
		return binary{from: "built-in"}, nil
	}
	if path, err := exec.LookPath(bin); err == nil {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		return binary{path, "$PATH"}, nil
	}
	where := "$PATH"
	if cfg.PluginDir != "" {
		where = cfg.PluginDir + " or $PATH"
	}
	msg := fmt.Sprintf("plugin %q not found: no %s in %s", pc.Plugin, bin, where)
	if _, ok := builtins[pc.Plugin]; ok {
		msg += " (the built-in is not used: the provider has a sha256 pin, which names a separate binary)"
	} else {
		msg += " and no built-in"
	}
	return binary{}, &host.ConfigError{Provider: name, Path: "plugin", Err: errors.New(msg)}
}

// resolveBinaries points each provider at the binary lookupOrder chooses
// (the host's own order puts built-ins first). A provider that has none
// is taken out of cfg.Providers, its configuration kept in left and its
// error in cfg.Unavailable.
func resolveBinaries(cfg *hostconfig.Config) (left map[string]host.ProviderConfig) {
	left = map[string]host.ProviderConfig{}
	for _, name := range cfg.Names() {
		b, err := choose(cfg, name)
		if err != nil {
			cfg.Unavailable[name] = cfg.Locate(err)
			left[name] = cfg.Providers[name]
			delete(cfg.Providers, name)
			continue
		}
		if b.path != "" {
			pc := cfg.Providers[name]
			pc.Path = b.path
			cfg.Providers[name] = pc
		}
	}
	return left
}

// unavailableFor returns the error of a provider left out of the registry
// whose configured hosts match u, or nil.
func (c *cli) unavailableFor(cfg *hostconfig.Config, u *url.URL) error {
	for _, name := range slices.Sorted(maps.Keys(c.left)) {
		if m, err := hostmatch.Parse(c.left[name].Hosts...); err == nil && m.MatchURL(u) {
			return configError(cfg.Unavailable[name])
		}
	}
	return nil
}
