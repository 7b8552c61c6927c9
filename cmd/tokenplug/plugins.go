package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/plugin"
)

var pluginsCmd = &command{
	name:    "plugins",
	summary: "list the plugins found and their settings",
	help: `Usage: tokenplug plugins

Lists the plugins a provider's "plugin:" can name, in the order they are
looked up: tokenplug-<plugin> in the configuration's plugin_dir, built into
this binary, then on $PATH. A plugin found earlier shadows later ones of the
same name. For each it shows the settings the plugin declares, marking those
that are required and those that are secret (never logged), and the hosts
its tokens go to by default (its vendor's). Binaries are asked with
"<binary> describe", which runs no handshake and needs no settings. With a
configuration, it then lists each provider's effective hosts: those
configured, else its plugin's default hosts, else none (such a provider's
token goes nowhere until hosts are configured), and which binary it runs:

` + lookupOrder + `

A configuration that cannot be read is reported as a warning: the plugins
are still listed.

Example:
  tokenplug plugins
`,
	run: runPlugins,
}

// describeTimeout bounds "<binary> describe": it prints a constant and
// exits, so a binary still running after this is not a tokenplug plugin.
const describeTimeout = 5 * time.Second

// foundPlugin is one plugin binary (or built-in) and what it declares.
type foundPlugin struct {
	name, where string // where: "built-in" or the binary's path
	shadowed    bool   // an earlier one has the same name
	desc        plugin.Description
	err         error
}

func runPlugins(ctx context.Context, c *cli, cmd *command, args []string) error {
	fs := c.flagSet(cmd)
	if _, err := c.parse(fs, cmd, args, ""); err != nil {
		return err
	}
	pluginDir := ""
	var cfg *hostconfig.Config
	if _, chosen := c.configPath(); chosen || fileExists("tokenplug.yaml") {
		var err error
		if cfg, err = c.loadConfig(); err != nil {
			fmt.Fprintf(c.stderr, "tokenplug: warning: configuration not used: %s\n", oneLine(err.Error()))
		} else {
			pluginDir = cfg.PluginDir
		}
	}
	found := findPlugins(pluginDir)
	failed := 0
	for i := range found {
		p := &found[i]
		if p.where == "built-in" {
			p.desc = builtins[p.name].Describe()
			continue
		}
		p.desc, p.err = describeBinary(ctx, p.where)
		if p.err != nil {
			failed++
		}
	}
	printPlugins(c, found)
	if cfg != nil {
		printProviderHosts(ctx, c, cfg, found)
	}
	if failed > 0 {
		return fmt.Errorf("plugins: %d binaries could not describe themselves", failed)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// findPlugins lists tokenplug-* in pluginDir, then built-ins, then
// tokenplug-* on $PATH (lookupOrder for a provider without a pin),
// marking the ones an earlier one shadows.
func findPlugins(pluginDir string) []foundPlugin {
	var out []foundPlugin
	seen := map[string]bool{}
	add := func(name, where string) {
		out = append(out, foundPlugin{name: name, where: where, shadowed: seen[name]})
		seen[name] = true
	}
	addDir := func(dir string) {
		matches, _ := filepath.Glob(filepath.Join(dir, "tokenplug-*")) // only a malformed pattern fails
		for _, path := range matches {
			if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				add(strings.TrimPrefix(filepath.Base(path), "tokenplug-"), path)
			}
		}
	}
	visited := map[string]bool{}
	if pluginDir != "" {
		visited[pluginDir] = true
		addDir(pluginDir)
	}
	for _, name := range slices.Sorted(maps.Keys(builtins)) {
		add(name, "built-in")
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" || visited[dir] {
			continue
		}
		visited[dir] = true
		addDir(dir)
	}
	return out
}

// describeBinary runs "<path> describe" with an empty environment.
func describeBinary(ctx context.Context, path string) (plugin.Description, error) {
	ctx, cancel := context.WithTimeout(ctx, describeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "describe")
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			err = fmt.Errorf("%w: %s", err, oneLine(string(ee.Stderr)))
		}
		return plugin.Description{}, fmt.Errorf("%s describe: %w", path, err)
	}
	desc, err := plugin.ParseDescription(out)
	if err != nil {
		return plugin.Description{}, fmt.Errorf("%s describe: %w", path, err)
	}
	return desc, nil
}

func printPlugins(c *cli, found []foundPlugin) {
	for i, p := range found {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		where := p.where
		if p.shadowed {
			where += ", shadowed by the one above"
		}
		if p.err != nil {
			fmt.Fprintf(c.stdout, "%s (%s)\n  error: %s\n", p.name, where, oneLine(p.err.Error()))
			continue
		}
		fmt.Fprintf(c.stdout, "%s %s (%s)\n", p.name, p.desc.Version, where)
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		for _, s := range p.desc.Settings {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Key, settingMarks(s), s.Description)
		}
		tw.Flush()
		fmt.Fprintf(c.stdout, "  default hosts: %s\n", hostsText(p.desc.DefaultHosts, "none (providers must configure hosts)"))
	}
}

// settingMarks says how a setting is treated: required, secret, its
// default.
func settingMarks(s plugin.Setting) string {
	var marks []string
	if s.Required {
		marks = append(marks, "required")
	}
	if s.Secret {
		marks = append(marks, "secret")
	}
	if s.Default != "" {
		marks = append(marks, "default "+s.Default)
	}
	return strings.Join(marks, ", ")
}
