// Command tokenplug fetches and inspects tokens from tokenplug providers,
// and runs a self-contained demo of every built-in provider.
//
// Usage:
//
//	tokenplug demo    run every provider against local vendor emulators
//
// Exit status: 0 on success, 1 when a command fails, 2 on a usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

const usage = `tokenplug puts access tokens on outgoing HTTP and gRPC requests.

Usage:
  tokenplug demo    run every provider end to end against local emulators (no network, no secrets)
`

// errUsage marks a usage error (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "tokenplug:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "tokenplug:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "demo":
		return demo(ctx, stdout)
	case "serve-plugin":
		return servePlugin(args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}
