package main

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/azure"
	"github.com/tokenplug/tokenplug/plugins/iam"
	"github.com/tokenplug/tokenplug/plugins/oauth2"
	"github.com/tokenplug/tokenplug/plugins/symphony"
	"github.com/tokenplug/tokenplug/plugins/voicegain"
)

// builtins are the providers the tokenplug binary serves itself, so the CLI
// and the demo need no separate plugin binaries. Each still runs in its own
// process: the host re-executes this binary as "tokenplug serve-plugin NAME".
var builtins = map[string]plugin.Provider{
	"azure":     azure.New(),
	"iam":       iam.New(),
	"oauth2":    oauth2.New(),
	"symphony":  symphony.Provider{},
	"voicegain": voicegain.Provider{},
}

// builtinOptions makes a registry run the built-in providers by
// re-executing this binary.
func builtinOptions() ([]host.Option, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	var opts []host.Option
	for _, name := range slices.Sorted(maps.Keys(builtins)) {
		opts = append(opts, host.WithBuiltin(name, self, "serve-plugin", name))
	}
	return opts, nil
}

// servePlugin runs a built-in provider as a plugin; it does not return.
func servePlugin(args []string) error {
	if len(args) != 1 {
		return usageErrorf("usage: tokenplug serve-plugin NAME")
	}
	p, ok := builtins[args[0]]
	if !ok {
		return usageErrorf("serve-plugin: no built-in provider %q", args[0])
	}
	os.Args = []string{os.Args[0]} // plugin.Serve reads os.Args for "describe"
	plugin.Serve(p)
	return nil
}
