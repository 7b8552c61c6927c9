// Command tokenplug-voicegain is the tokenplug provider plugin for
// Voicegain JWTs. A tokenplug host starts it; run by hand with the argument
// "describe", it prints its settings schema.
package main

import (
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/voicegain"
)

func main() { plugin.Serve(voicegain.New()) }
