// Command tokenplug-rotate serves rotation.Provider as a plugin, for the
// tests of refresh token rotation across plugin restarts and CLI calls.
// With --single-instance it speaks the protocol as SDKs before
// multi_instance did: one provider per process.
package main

import (
	"os"
	"slices"

	"github.com/tokenplug/tokenplug/internal/rotation"
	"github.com/tokenplug/tokenplug/internal/wire"
	"github.com/tokenplug/tokenplug/plugin"
)

func main() {
	wire.SingleInstance = slices.Contains(os.Args[1:], "--single-instance")
	plugin.Serve(rotation.Provider{})
}
