package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/plugin"
)

// hostsText joins host patterns for display, or says none.
func hostsText(hosts []string, none string) string {
	if len(hosts) == 0 {
		return none
	}
	return strings.Join(hosts, ", ")
}

// printProviderHosts lists, for each configured provider, the binary it
// will run (see lookupOrder) and where its token may go: its configured
// hosts, else the default hosts of that binary, else none.
func printProviderHosts(ctx context.Context, c *cli, cfg *hostconfig.Config, found []foundPlugin) {
	names := allNames(cfg)
	if len(names) == 0 {
		return
	}
	fmt.Fprintf(c.stdout, "\nproviders in %s:\n", cfg.File)
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for _, name := range names {
		if err := cfg.Unavailable[name]; err != nil {
			fmt.Fprintf(tw, "  %s\t-\tunavailable: %s\n", name, oneLine(err.Error()))
			continue
		}
		p := cfg.Providers[name]
		b, err := choose(cfg, name)
		if err != nil {
			fmt.Fprintf(tw, "  %s\t%s\tunavailable: %s\n", name, p.Plugin, oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\truns %s\t%s\n", name, p.Plugin, b, effectiveHosts(ctx, p, b, found))
	}
	tw.Flush()
}

// effectiveHosts describes where p's token may go when it runs b, without
// starting it.
func effectiveHosts(ctx context.Context, p host.ProviderConfig, b binary, found []foundPlugin) string {
	if len(p.Hosts) > 0 {
		return "hosts: " + hostsText(p.Hosts, "") + " (configured)"
	}
	desc, err := describeChosen(ctx, p, b, found)
	switch {
	case err != nil:
		return "hosts: unknown (the plugin could not describe itself)"
	case len(desc.DefaultHosts) > 0:
		return "hosts: " + hostsText(defaultHostsFor(p, b, desc), "") + " (plugin default)"
	}
	return "hosts: none: its token goes nowhere; configure hosts"
}

// defaultHostsFor returns the default hosts of p's configuration: those a
// built-in narrows desc's to for p's settings (plugin.HostsForSettings),
// else desc's. (A plugin binary tells only once configured: tokenplug
// check shows them.)
func defaultHostsFor(p host.ProviderConfig, b binary, desc plugin.Description) []string {
	h, ok := builtins[p.Plugin].(plugin.HostsForSettings)
	if b.path != "" || !ok {
		return desc.DefaultHosts
	}
	applied, err := plugin.ApplySchema(desc, p.Settings)
	if err != nil {
		return desc.DefaultHosts
	}
	if narrowed := h.DefaultHostsFor(applied); len(narrowed) > 0 {
		return narrowed
	}
	return desc.DefaultHosts
}

// describeChosen returns the description of the binary b, from the plugins
// found when it is one of them.
func describeChosen(ctx context.Context, p host.ProviderConfig, b binary, found []foundPlugin) (plugin.Description, error) {
	if b.path == "" {
		return builtins[p.Plugin].Describe(), nil
	}
	for _, f := range found {
		if f.where == b.path {
			return f.desc, f.err
		}
	}
	return describeBinary(ctx, b.path)
}
