package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tokenplug/tokenplug/host/hostconfig"
)

// timedOut names what a command was waiting for when ctx's deadline
// passed: the provider's token endpoint, host only (never a path, query
// string or userinfo).
func timedOut(ctx context.Context, cfg *hostconfig.Config, name string, d time.Duration, err error) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	what := "its plugin"
	if ep := endpoint(cfg, name); ep != "" {
		what = ep
	}
	return fmt.Errorf("tokenplug: provider %q: no token within %v: timed out waiting for %s (--timeout sets the limit)", name, d, what)
}

// endpoint returns "HOST (setting KEY)" for the first setting of provider
// name whose key ends in _url, configured or the built-in plugin's
// default, or "".
func endpoint(cfg *hostconfig.Config, name string) string {
	pc := cfg.Providers[name]
	urls := map[string]string{}
	if p, ok := builtins[pc.Plugin]; ok && pc.Path == "" {
		for _, s := range p.Describe().Settings {
			if strings.HasSuffix(s.Key, "_url") && s.Default != "" {
				urls[s.Key] = s.Default
			}
		}
	}
	for k, v := range pc.Settings {
		if strings.HasSuffix(k, "_url") && v != "" {
			urls[k] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(urls)) {
		if u, err := url.Parse(urls[k]); err == nil && u.Host != "" {
			return fmt.Sprintf("%s (setting %s)", u.Host, k)
		}
	}
	return ""
}
