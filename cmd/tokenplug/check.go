package main

import (
	"context"
	"fmt"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/tokenplug/tokenplug/host"
)

var checkCmd = &command{
	name:    "check",
	summary: "validate the config, start every plugin, fetch one token each",
	help: `Usage: tokenplug check [--timeout D]

Reads the configuration, starts every provider's plugin (which checks its
settings: a setting the plugin does not declare is an error), fetches one
token from each, and prints a table: provider, plugin, plugin version, token
expiry, time taken, status, and the hosts its token may go to (configured,
else the plugin's defaults). A provider with no hosts at all fails: its
token would go nowhere. Each failure is then printed on stderr, one line
naming the provider. Exit status 1 if any provider failed, 2 if the
configuration itself is wrong.

Example:
  tokenplug check --config /etc/myapp/tokenplug.yaml
`,
	run: runCheck,
}

// checkResult is one provider's row.
type checkResult struct {
	name, plugin, version string
	hosts                 string // effective hosts, for display
	expiry                time.Time
	took                  time.Duration
	err                   error
}

func runCheck(ctx context.Context, c *cli, cmd *command, args []string) error {
	fs := c.flagSet(cmd)
	timeout := fs.Duration("timeout", fetchTimeout, "give up on a provider after this long")
	if _, err := c.parse(fs, cmd, args, ""); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if len(cfg.Providers) == 0 {
		return configError(fmt.Errorf("check: %s has no providers", cfg.File))
	}
	reg, err := c.registry(cfg)
	if err != nil {
		return err
	}
	defer reg.Close()

	// Providers are independent: check them all at once, so one slow
	// vendor does not add to the others' time.
	results := make([]checkResult, len(cfg.Names()))
	var wg sync.WaitGroup
	for i, name := range cfg.Names() {
		wg.Go(func() {
			results[i] = checkOne(ctx, cfg, reg, name, *timeout)
		})
	}
	wg.Wait()

	printCheckTable(c, results)
	failed := 0
	for _, r := range results {
		if r.err != nil {
			failed++
			report(c.stderr, r.err) // host errors name the provider
		}
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("check: %d of %d providers failed", failed, len(results))}
	}
	return nil
}

func checkOne(ctx context.Context, cfg *host.Config, reg *host.Registry, name string, timeout time.Duration) checkResult {
	r := checkResult{name: name, plugin: cfg.Providers[name].Plugin}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	src, err := reg.Source(name)
	if err != nil {
		r.err = err
		return r
	}
	tok, err := src.Token(ctx)
	r.took = time.Since(start)
	if err != nil {
		r.err = locate(cfg, name, err)
		return r
	}
	r.expiry = tok.Expiry
	if d, err := src.Describe(ctx); err == nil { // the plugin runs: no start
		r.version = d.Version
	}
	r.hosts, r.err = checkHosts(ctx, src)
	if r.err != nil {
		r.err = locate(cfg, name, r.err)
	}
	return r
}

// checkHosts describes src's effective hosts, and fails when it has none.
func checkHosts(ctx context.Context, src *host.Source) (string, error) {
	hosts, from, err := src.EffectiveHosts(ctx)
	switch {
	case err != nil:
		return "-", err
	case len(hosts) == 0:
		return "none", fmt.Errorf("tokenplug: provider %q: no hosts: its plugin declares no default hosts, so its token goes nowhere; "+
			"list them under hosts (hosts: [\"*\"] allows every host)", src.Name())
	}
	if len(hosts) > maxHostsShown {
		hosts = append(hosts[:maxHostsShown:maxHostsShown], fmt.Sprintf("+%d more", len(hosts)-maxHostsShown))
	}
	return hostsText(hosts, "") + " (" + from + ")", nil
}

// maxHostsShown keeps a row readable: Azure alone declares a dozen hosts
// (tokenplug plugins lists them all).
const maxHostsShown = 3

func printCheckTable(c *cli, results []checkResult) {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tPLUGIN\tVERSION\tEXPIRES\tTOOK\tHOSTS\tSTATUS")
	for _, r := range results {
		version, expires, status := "-", "-", "FAILED"
		if r.err == nil {
			version, expires, status = orDash(r.version), expiryText(r.expiry), "ok"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.plugin, version, expires, r.took.Round(time.Millisecond), orDash(r.hosts), status)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// expiryText is the expiry in RFC 3339 and how far away it is.
func expiryText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (in %s)", t.UTC().Format(time.RFC3339), time.Until(t).Round(time.Second))
}
