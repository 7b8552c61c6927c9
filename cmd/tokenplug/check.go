package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/internal/printable"
)

var checkCmd = &command{
	name:    "check",
	summary: "validate the config, start every plugin, fetch one token each",
	help: `Usage: tokenplug check [--timeout D] [--json]

Reads the configuration, starts every provider's plugin at once (which
checks its settings: a setting the plugin does not declare is an error),
fetches one token from each, and prints a table: provider, plugin, plugin
version, token expiry, the hosts its token may go to (configured, else the
plugin's defaults), and status. A provider with no hosts at all fails: its
token would go nowhere. Each failure is then printed on stderr, one line
naming the provider. Exit status 2 if the configuration is wrong (for any
provider: a bad value, a missing plugin, a wrong pin, a setting the plugin
refuses), else 1 if any provider failed.

With --json it prints the same facts as one JSON object for scripts and
health checks, {"providers": [...]}, each with name, plugin, version,
hosts, hosts_from, ok, error, expiry (null: never), seconds_to_expiry and
fetch_duration_seconds (the upstream fetch, plugin start included); the
exit status is the same.

Example:
  tokenplug check --config /etc/myapp/tokenplug.yaml
  tokenplug check --json | jq -r '.providers[] | select(.ok | not) | .name'
`,
	run: runCheck,
}

// checkResult is one provider's row.
type checkResult struct {
	name, plugin, version string
	hosts                 string // effective hosts, for display
	anyHost               bool   // hosts include "*": the token may go anywhere
	expiry                time.Time
	err                   error
}

func runCheck(ctx context.Context, c *cli, cmd *command, args []string) error {
	fs := c.flagSet(cmd)
	timeout := fs.Duration("timeout", fetchTimeout, "give up on the providers after this long")
	asJSON := fs.Bool("json", false, "print the results as JSON, for scripts and health checks")
	if _, err := c.parse(fs, cmd, args, ""); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if len(allNames(cfg)) == 0 {
		return configError(fmt.Errorf("check: %s has no providers", cfg.File))
	}
	durations := func() map[string]float64 { return nil }
	if *asJSON {
		durations = fetchDurations() // before the registry: it takes the global meter provider
	}
	// check always fetches (--refresh), and through the token cache, so
	// that a refresh token a provider rotates is kept for the next call:
	// the spent one would be refused.
	reg, err := c.registry(cfg, c.tokenCache(cfg, false, true)...)
	if err != nil {
		return err
	}
	defer reg.Close()

	// Warm starts every plugin and fetches every first token at once, so
	// one slow vendor does not add to the others' time.
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	start := time.Now()
	warmErrs := byProvider(reg.Warm(ctx))
	took := time.Since(start)

	results := make([]checkResult, 0, len(allNames(cfg)))
	for _, name := range allNames(cfg) {
		if err := cfg.Unavailable[name]; err != nil {
			results = append(results, checkResult{name: name, plugin: cmp.Or(c.left[name].Plugin, "-"), err: configError(err)})
			continue
		}
		results = append(results, checkOne(ctx, cfg, reg, name, warmErrs[name]))
	}
	if *asJSON {
		if err := printCheckJSON(ctx, c, reg, results, durations()); err != nil {
			return err
		}
	} else {
		printCheckTable(c, results)
	}
	for _, r := range results {
		if r.anyHost {
			fmt.Fprintf(c.stderr, "tokenplug: warning: provider %q sends its token to any host (hosts: [\"*\"], %s): "+
				"every URL a program requests with it gets the credential; list the hosts that need it\n", r.name, cfg.Position("providers."+r.name+".hosts"))
		}
	}
	failed, code := 0, 1
	for _, r := range results {
		if r.err != nil {
			failed++
			code = max(code, report(c.stderr, r.err)) // each names its provider, or its place in the file
		}
	}
	if failed > 0 {
		return &exitError{code: code, err: fmt.Errorf("check: %d of %d providers failed", failed, len(results))}
	}
	if !*asJSON {
		fmt.Fprintf(c.stdout, "%d providers ready in %v\n", len(results), took.Round(time.Millisecond))
	}
	return nil
}

// byProvider splits the error of Registry.Warm into each provider's.
func byProvider(err error) map[string]error {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	m := map[string]error{}
	for _, e := range errs {
		var he *host.Error
		var ce *host.ConfigError
		switch {
		case errors.As(e, &ce):
			m[ce.Provider] = e
		case errors.As(e, &he):
			m[he.Provider] = e
		}
	}
	return m
}

// checkOne fills a provider's row once Warm has run: its token is cached
// and its plugin running, so nothing here starts a plugin or fetches.
func checkOne(ctx context.Context, cfg *hostconfig.Config, reg *host.Registry, name string, warmErr error) checkResult {
	r := checkResult{name: name, plugin: cfg.Providers[name].Plugin}
	src, err := reg.Source(name)
	if err == nil && warmErr == nil {
		var tok *oauth2.Token
		if tok, err = src.Token(ctx); err == nil {
			r.expiry = tok.Expiry
		}
	}
	if err = cmp.Or(warmErr, err); err != nil {
		r.err = locate(cfg, err)
		r.version = failedVersion(ctx, cfg, src, name)
		return r
	}
	if d, err := src.Describe(ctx); err == nil {
		r.version = d.Version
	}
	r.hosts, r.anyHost, r.err = checkHosts(ctx, src)
	if r.err != nil {
		r.err = locate(cfg, r.err)
	}
	return r
}

// failedVersion is the version of a failed provider's plugin, when it
// can be described: by the running plugin, else by its binary ("-" if
// neither answers).
func failedVersion(ctx context.Context, cfg *hostconfig.Config, src *host.Source, name string) string {
	if src != nil {
		if d, err := src.Describe(ctx); err == nil && d.Version != "" {
			return d.Version
		}
	}
	if _, ok := cfg.Providers[name]; !ok {
		return ""
	}
	b, err := choose(cfg, name)
	if err != nil {
		return ""
	}
	d, err := describeChosen(ctx, cfg.Providers[name], b, nil)
	if err != nil {
		return ""
	}
	return d.Version
}

// checkHosts describes src's effective hosts, and fails when it has none.
func checkHosts(ctx context.Context, src *host.Source) (string, bool, error) {
	hosts, from, err := src.EffectiveHosts(ctx)
	switch {
	case err != nil:
		return "-", false, err
	case len(hosts) == 0:
		return "none", false, &host.ConfigError{Provider: src.Name(), Path: "hosts", Err: errors.New("none: its plugin declares no default hosts, so its token goes nowhere; " +
			"list them under hosts (hosts: [\"*\"] allows every host)")}
	}
	anyHost := slices.Contains(hosts, "*")
	if len(hosts) > maxHostsShown {
		hosts = append(hosts[:maxHostsShown:maxHostsShown], fmt.Sprintf("+%d more", len(hosts)-maxHostsShown))
	}
	return hostsText(hosts, "") + " (" + from + ")", anyHost, nil
}

// maxHostsShown keeps a row readable: Azure alone declares a dozen hosts
// (tokenplug plugins lists them all).
const maxHostsShown = 3

func printCheckTable(c *cli, results []checkResult) {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tPLUGIN\tVERSION\tEXPIRES\tHOSTS\tSTATUS")
	for _, r := range results {
		version, expires, status := orDash(r.version), "-", "FAILED"
		if r.err == nil {
			expires, status = expiryText(r.expiry), "ok"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.plugin, printable.String(version), expires, orDash(r.hosts), status)
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
