// Command tokenplug-azure is the tokenplug provider plugin for Azure
// Cognitive Services. A tokenplug host starts it; run by hand with
// "describe", it prints its settings.
package main

import (
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/azure"
)

func main() { plugin.Serve(azure.New()) }
