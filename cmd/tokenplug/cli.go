package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/plugin"
)

// errHelpShown ends a command whose --help was shown: exit status 0.
var errHelpShown = &exitError{code: 0}

// flagSet returns a flag set for cmd that reports errors to the caller
// instead of printing them, with the global --config flag.
func (c *cli) flagSet(cmd *command) *flag.FlagSet {
	fs := c.flagSetNoConfig(cmd)
	fs.StringVar(&c.config, "config", c.config, "configuration `file` (default $TOKENPLUG_CONFIG, else ./tokenplug.yaml)")
	return fs
}

// flagSetNoConfig is flagSet for a command that reads no configuration.
func (c *cli) flagSetNoConfig(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args for cmd, with flags before or after the positional
// arguments ("--" ends the flags), and checks their number against want,
// the positional arguments' names ("NAME", "URL" or "").
func (c *cli) parse(fs *flag.FlagSet, cmd *command, args []string, want string) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(c.stdout, helpText(fs, cmd))
		return nil, errHelpShown
	case err != nil:
		return nil, usageErrorf("%s: %v (see tokenplug help %s)", cmd.name, err, cmd.name)
	}
	n := len(strings.Fields(want))
	switch {
	case len(pos) < n:
		return nil, usageErrorf("%s: missing %s (see tokenplug help %s)", cmd.name, want, cmd.name)
	case len(pos) > n:
		return nil, usageErrorf("%s: unexpected argument %q (see tokenplug help %s)", cmd.name, pos[n], cmd.name)
	}
	return pos, nil
}

// parseInterspersed is fs.Parse that also takes flags after positional
// arguments, so that "tokenplug token NAME --raw" works.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

func helpText(fs *flag.FlagSet, cmd *command) string {
	var b bytes.Buffer
	b.WriteString(cmd.help)
	b.WriteString("\nFlags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

var helpCmd = &command{
	name:    "help",
	summary: "show help for tokenplug or a command",
	help: `Usage: tokenplug help [COMMAND]

Shows the list of commands, or a command's flags and an example.

Example:
  tokenplug help get
`,
	run: runHelp,
}

func runHelp(ctx context.Context, c *cli, cmd *command, args []string) error {
	fs := c.flagSet(cmd)
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(c.stdout, helpText(fs, cmd))
		return nil
	case err != nil:
		return usageErrorf("help: %v", err)
	case len(pos) == 0:
		fmt.Fprint(c.stdout, usage())
		return nil
	case len(pos) > 1:
		return usageErrorf("help: want one command, got %d arguments", len(pos))
	}
	sub := lookup(pos[0])
	if sub == nil {
		return usageErrorf("help: unknown command %q", pos[0])
	}
	return sub.run(ctx, c, sub, []string{"--help"})
}

// configPath returns the configuration file to read, and whether the user
// chose it (rather than falling back to ./tokenplug.yaml).
func (c *cli) configPath() (path string, chosen bool) {
	if c.config != "" {
		return c.config, true
	}
	if p := os.Getenv("TOKENPLUG_CONFIG"); p != "" {
		return p, true
	}
	return "tokenplug.yaml", false
}

// loadConfig reads the configuration; its errors are configuration errors.
// A provider whose values name an unset variable or a missing file is left
// out (see hostconfig.LoadPartial): only commands that use it fail.
func (c *cli) loadConfig() (*hostconfig.Config, error) {
	path, chosen := c.configPath()
	cfg, err := hostconfig.LoadPartial(path)
	if err != nil {
		if !chosen && errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w (give --config FILE or set $TOKENPLUG_CONFIG)", err)
		}
		return nil, configError(err)
	}
	return cfg, nil
}

// registry returns a registry of cfg's providers that serves the built-in
// plugins from this binary, logging (the shared cache too) to c.logger.
func (c *cli) registry(cfg *hostconfig.Config, extra ...host.Option) (*host.Registry, error) {
	builtin, err := builtinOptions()
	if err != nil {
		return nil, err
	}
	logger := c.logger()
	// warm: true is for applications that live on. A command starts
	// the plugins it uses (check warms them all itself): warming every
	// provider would start plugins a cached token does not need.
	cfg.Warm = false
	opts, err := cfg.Options(logger)
	if err != nil {
		return nil, configError(err)
	}
	if cfg.Unavailable == nil {
		cfg.Unavailable = map[string]error{}
	}
	c.left = resolveBinaries(cfg)
	opts = append(append(opts, builtin...), host.WithLogger(logger))
	reg := host.NewRegistry(append(opts, extra...)...)
	if err := cfg.Register(reg); err != nil {
		reg.Close()
		return nil, configError(err)
	}
	return reg, nil
}

// source returns the named provider, or a configuration error listing the
// names the file has.
func source(cfg *hostconfig.Config, reg *host.Registry, name string) (*host.Source, error) {
	if err := cfg.Unavailable[name]; err != nil {
		return nil, configError(err)
	}
	src, err := reg.Source(name)
	if errors.Is(err, host.ErrUnknownProvider) {
		return nil, configError(fmt.Errorf("unknown provider %q: %s has %s", name, cfg.File, listOrNone(allNames(cfg))))
	}
	return src, err
}

// allNames returns the file's providers, those left out included, sorted.
func allNames(cfg *hostconfig.Config) []string {
	names := slices.AppendSeq(slices.Collect(maps.Keys(cfg.Providers)), maps.Keys(cfg.Unavailable))
	slices.Sort(names)
	return names
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no providers"
	}
	return strings.Join(names, ", ")
}

// logger logs to stderr. The CLI reports failures itself, so by default
// it logs nothing; TOKENPLUG_LOG_LEVEL (debug, info, warn, error) turns
// logs on, for the host and the plugins alike.
func (c *cli) logger() *slog.Logger {
	level := slog.LevelError + 4 // above every level: silent
	if s := os.Getenv("TOKENPLUG_LOG_LEVEL"); s != "" {
		_ = level.UnmarshalText([]byte(s)) // an unknown level keeps the default
	}
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

// locate places a provider's configuration error in the file (see
// hostconfig.Config.Locate) and makes it exit with status 2. The message
// is the host's, which never holds a secret value.
func locate(cfg *hostconfig.Config, err error) error {
	var se plugin.SettingErrors
	if !errors.As(err, &se) && !isConfigError(err) {
		return err
	}
	return &exitError{code: 2, err: cfg.Locate(err)}
}
