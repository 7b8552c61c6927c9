// Command tokenplug fetches, inspects and uses access tokens from the
// providers in a tokenplug configuration file, and runs a self-contained
// demo of every built-in provider.
//
// Usage:
//
//	tokenplug token NAME      print NAME's token as JSON (--decode, --header, --raw)
//	tokenplug get URL         make an HTTP request carrying the token of the provider for URL's host
//	tokenplug check           start every provider's plugin and fetch one token each
//	tokenplug plugins         list the plugins found and their settings
//	tokenplug demo            run every provider against local vendor emulators
//	tokenplug help [COMMAND]  show help
//
// The configuration file is --config, else $TOKENPLUG_CONFIG, else
// ./tokenplug.yaml; see hostconfig.Config for its format. A provider runs
// the binary its path: names, else tokenplug-<plugin> in the file's
// plugin_dir, else the built-in <plugin> served by this binary (not for a
// provider with a sha256 pin: a pin names a separate binary), else
// tokenplug-<plugin> on $PATH; "tokenplug plugins" shows each provider's.
//
// "tokenplug token" keeps valid tokens in a per-user cache
// ($XDG_CACHE_HOME/tokenplug, else ~/.cache/tokenplug; see package
// host/filecache): --no-cache bypasses it, --refresh renews the token.
//
// Exit status: 0 on success, 1 when a command fails (a token could not be
// fetched, a check failed, get -f saw a non-2xx status), 2 on a usage or
// configuration error (a bad value in the file, an unset variable, a plugin
// binary that is missing or does not match its sha256 pin, a setting the
// plugin does not declare), in every command. Errors go to stderr, one
// line each.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/printable"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(report(os.Stderr, err))
}

// cli is what every command gets: its output streams and the global
// --config flag's value.
type cli struct {
	stdout, stderr io.Writer
	config         string // --config; "" means the default lookup

	left map[string]host.ProviderConfig // providers with no binary to run (see resolveBinaries)
}

// command is one subcommand. Its help is shown by "tokenplug help NAME" and
// by NAME --help.
type command struct {
	name    string
	summary string // one line, for the command list
	help    string // usage line, description and an example
	run     func(ctx context.Context, c *cli, cmd *command, args []string) error
}

// commands lists the subcommands in the order help shows them. It is filled
// in init to break the cycle help -> commands -> help.
var commands []*command

func init() {
	commands = []*command{tokenCmd, getCmd, checkCmd, pluginsCmd, demoCmd, helpCmd}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

const usageHead = `tokenplug puts access tokens on outgoing HTTP and gRPC requests.

Usage: tokenplug [--config FILE] COMMAND [flags] [args]

Commands:
`

const usageTail = `
The configuration is --config FILE, else $TOKENPLUG_CONFIG, else ./tokenplug.yaml.
` + lookupOrder + `
Exit status: 0 ok, 1 failure, 2 usage or configuration error.
Run "tokenplug help COMMAND" for a command's flags and an example.
`

func usage() string {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString(usageTail)
	return b.String()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := &cli{stdout: stdout, stderr: stderr}
	args, err := c.globalFlags(args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return usageErrorf("no command given")
	}
	switch args[0] {
	case "serve-plugin": // hidden: how built-in providers run as plugins
		return servePlugin(args[1:])
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return nil
	}
	cmd := lookup(args[0])
	if cmd == nil {
		return usageErrorf("unknown command %q (run tokenplug help)", args[0])
	}
	return cmd.run(ctx, c, cmd, args[1:])
}

// globalFlags consumes --config given before the command.
func (c *cli) globalFlags(args []string) ([]string, error) {
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--config" || a == "-config":
			if len(args) < 2 {
				return nil, usageErrorf("flag needs an argument: %s", a)
			}
			c.config, args = args[1], args[2:]
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			c.config, args = a[strings.IndexByte(a, '=')+1:], args[1:]
		default:
			return args, nil
		}
	}
	return args, nil
}

// exitError carries an exit status; its message may be empty when the
// command has already said everything on stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is a usage error: exit status 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// configError marks err as a configuration error: exit status 2.
func configError(err error) error { return &exitError{code: 2, err: err} }

// exitCode is err's exit status: an *exitError's own, else 2 for a
// configuration error (errors.Is(err, tokenplug.ErrConfig): a value of the
// file, a missing plugin binary, a wrong pin, a setting the plugin
// refuses), else 1.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case isConfigError(err):
		return 2
	}
	return 1
}

// isConfigError reports whether err is about the configuration, by its
// kind, never its text.
func isConfigError(err error) bool {
	var ce *host.ConfigError
	return errors.As(err, &ce) || errors.Is(err, tokenplug.ErrConfig)
}

// report prints err on one line and returns the exit status.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	code := exitCode(err)
	if msg := oneLine(err.Error()); msg != "" {
		if !strings.HasPrefix(msg, "tokenplug") {
			msg = "tokenplug: " + msg
		}
		fmt.Fprintln(stderr, msg)
	}
	return code
}

// oneLine is s, text that may have come from a plugin or an upstream, on
// one line with its control characters escaped: an upstream's terminal
// escape sequences (a title, an erased line, an OSC 52 clipboard write)
// never reach the user's terminal.
func oneLine(s string) string { return printable.String(strings.Join(strings.Fields(s), " ")) }
