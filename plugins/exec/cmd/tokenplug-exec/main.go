// Command tokenplug-exec is the credential-helper provider as a tokenplug
// plugin binary: it runs a program that prints a token. It is started by a
// tokenplug host, not by hand; run it with the argument "describe" to
// print its settings.
package main

import (
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/exec"
)

func main() { plugin.Serve(exec.New()) }
