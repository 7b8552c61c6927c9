// Command tokenplug-rotate serves rotation.Provider as a plugin, for the
// tests of refresh token rotation across plugin restarts and CLI calls.
package main

import (
	"github.com/tokenplug/tokenplug/internal/rotation"
	"github.com/tokenplug/tokenplug/plugin"
)

func main() { plugin.Serve(rotation.Provider{}) }
