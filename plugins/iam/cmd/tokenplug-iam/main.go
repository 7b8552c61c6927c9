// Command tokenplug-iam is the tokenplug provider plugin for IBM Cloud IAM.
// A tokenplug host starts it; run by hand with "describe", it prints its
// settings.
package main

import (
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/iam"
)

func main() { plugin.Serve(iam.New()) }
