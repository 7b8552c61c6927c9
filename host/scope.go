package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/plugin"
)

// scopeState is where a Source's token may go. A provider with configured
// hosts knows it from Register; one without learns its plugin's default
// hosts for its configuration when the plugin first configures it for the
// scope, and publishes them once, so that every later request reads them
// with an atomic load.
type scopeState struct {
	cur        atomic.Pointer[hostmatch.Scope] // nil until known
	insecure   bool                            // the provider's allow_insecure
	configured bool                            // hosts come from the configuration
}

// initScope records the provider's configured hosts, which Register has
// parsed (nil: none configured).
func (s *Source) initScope(hosts *hostmatch.Matcher, insecure bool) {
	s.scope.insecure = insecure
	if hosts == nil {
		return
	}
	s.scope.configured = true
	s.scope.cur.Store(hostmatch.NewScope(hosts, insecure))
}

// errNilSource is what a nil *Source reports instead of panicking.
var errNilSource = errors.New("tokenplug: nil *host.Source (check the error from Registry.Source)")

// HostScope returns where the provider's tokens may go: its configured
// hosts, else its plugin's default hosts (those the plugin gives for the
// provider's settings, which narrow those it declares; see
// plugin.HostsForSettings), else none (then transport and grpccreds fail
// every request, naming the provider). It implements hostmatch.Scoper,
// which transport and grpccreds use before they fetch a token.
//
// Once known, the scope is returned with an atomic load. For a provider
// without configured hosts, the first call starts the plugin to read its
// default hosts, and configures the provider's instance when the plugin
// declares some (no token is fetched), waiting at most until ctx is done.
func (s *Source) HostScope(ctx context.Context) (*hostmatch.Scope, error) {
	if s == nil {
		return nil, errNilSource
	}
	if sc := s.scope.cur.Load(); sc != nil {
		return sc, nil
	}
	return s.learnScope(ctx)
}

// learnScope describes the plugin and publishes its default hosts as the
// scope: those it gives for the provider's configuration, which it
// configures first (no token is fetched), else those it declares. The
// first scope published stays: a restarted plugin cannot widen it. A
// plugin may not declare "*": only the user may send a token anywhere.
func (s *Source) learnScope(ctx context.Context) (*hostmatch.Scope, error) {
	d, err := s.Describe(ctx)
	if err != nil {
		return nil, err
	}
	if hostmatch.Check(d.DefaultHosts...) != nil || slices.Contains(d.DefaultHosts, hostmatch.Any) {
		return nil, &Error{Provider: s.name, Kind: tokenplug.KindConfig, Err: fmt.Errorf(
			"plugin %q declares invalid default hosts %q: configure hosts for this provider", d.Name, d.DefaultHosts)}
	}
	hosts := d.DefaultHosts
	if len(hosts) > 0 && s.proc != nil {
		// The configuration may narrow them (checkInstanceHosts).
		narrowed, err := s.proc.instanceHosts(ctx)
		if err != nil {
			return nil, wrapErr(s.name, err)
		}
		if len(narrowed) > 0 {
			hosts = narrowed
		}
	}
	m, _ := hostmatch.Parse(hosts...)
	s.scope.cur.CompareAndSwap(nil, hostmatch.NewScope(m, s.scope.insecure))
	return s.scope.cur.Load(), nil
}

// checkInstanceHosts refuses default hosts a plugin gave for one
// configuration unless each is one of those its description declares: a
// configuration may narrow the plugin's default hosts, never widen them.
func checkInstanceHosts(d plugin.Description, hosts []string) error {
	for _, h := range hosts {
		if h == hostmatch.Any || !slices.Contains(d.DefaultHosts, h) || hostmatch.Check(h) != nil {
			return configErr(fmt.Sprintf("plugin %q gives default hosts %q for this configuration, not among those it declares (%q): configure hosts for this provider",
				d.Name, hosts, d.DefaultHosts))
		}
	}
	return nil
}

// EffectiveHosts returns the host patterns the provider's tokens may go
// to, and where they come from: "configured", "plugin default", or "none"
// (then no request gets the token). Like HostScope, it may start the plugin.
func (s *Source) EffectiveHosts(ctx context.Context) (hosts []string, from string, err error) {
	sc, err := s.HostScope(ctx)
	if err != nil {
		return nil, "", err
	}
	hosts = sc.Hosts().Patterns()
	switch {
	case len(hosts) == 0:
		return nil, "none", nil
	case s.scope.configured:
		return hosts, "configured", nil
	}
	return hosts, "plugin default", nil
}

// AllowInsecure reports whether the provider's configuration allows its
// token over plain http to hosts that are not loopback.
func (s *Source) AllowInsecure() bool { return s != nil && s.scope.insecure }
