package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
)

// hostsText joins host patterns for display, or says none.
func hostsText(hosts []string, none string) string {
	if len(hosts) == 0 {
		return none
	}
	return strings.Join(hosts, ", ")
}

// printProviderHosts lists where each configured provider's token may go:
// its configured hosts, else the default hosts of the plugin that serves
// it (the first found, as a host looks it up), else none.
func printProviderHosts(c *cli, cfg *hostconfig.Config, found []foundPlugin) {
	if len(cfg.Providers) == 0 {
		return
	}
	fmt.Fprintf(c.stdout, "\nproviders in %s:\n", cfg.File)
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for _, name := range cfg.Names() {
		p := cfg.Providers[name]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, p.Plugin, effectiveHosts(p, found))
	}
	tw.Flush()
}

// effectiveHosts describes where p's token may go, without starting it.
func effectiveHosts(p host.ProviderConfig, found []foundPlugin) string {
	if len(p.Hosts) > 0 {
		return "hosts: " + hostsText(p.Hosts, "") + " (configured)"
	}
	for _, f := range found {
		if f.name != p.Plugin || f.shadowed {
			continue
		}
		if f.err != nil {
			return "hosts: unknown (the plugin could not describe itself)"
		}
		if len(f.desc.DefaultHosts) > 0 {
			return "hosts: " + hostsText(f.desc.DefaultHosts, "") + " (plugin default)"
		}
	}
	return "hosts: none: its token goes nowhere; configure hosts"
}
