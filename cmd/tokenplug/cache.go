package main

import (
	"fmt"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/filecache"
	"github.com/tokenplug/tokenplug/host/hostconfig"
)

// tokenCache returns the option that puts the per-user file cache in front
// of the providers: none when the configuration has a cache of its own.
// With --no-cache it reads and writes no token, but still keeps a refresh
// token a provider rotates: the call spends the one it had, and without
// its successor every later call would fail. A cache directory that
// cannot be used safely is reported as a warning, and the token fetched
// without it.
func (c *cli) tokenCache(cfg *hostconfig.Config, noCache, refresh bool) []host.Option {
	if cfg.Cache != nil {
		return nil
	}
	fc, err := filecache.New(filecache.Config{Refresh: refresh, NoTokens: noCache, Logger: c.logger()})
	if err != nil {
		fmt.Fprintf(c.stderr, "tokenplug: warning: token cache not used: %s\n", oneLine(err.Error()))
		return nil
	}
	return []host.Option{host.WithCache(fc)}
}
