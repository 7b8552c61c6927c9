// Command tokenplug-symphony is the Symphony Connect provider as a tokenplug
// plugin binary. It is started by a tokenplug host, not by hand; run it with
// the argument "describe" to print its settings.
package main

import (
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/symphony"
)

func main() { plugin.Serve(symphony.New()) }
