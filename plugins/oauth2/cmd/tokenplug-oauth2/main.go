// Command tokenplug-oauth2 is the tokenplug provider plugin for any
// standard OAuth 2.0 authorization server. A tokenplug host starts it;
// run by hand with "describe", it prints its settings.
package main

import (
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/oauth2"
)

func main() { plugin.Serve(oauth2.New()) }
