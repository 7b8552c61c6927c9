// Command tokenplug-clientcredentials is a tokenplug provider for any OAuth
// 2.0 authorization server that offers the client credentials grant (RFC
// 6749 section 4.4): Okta, Auth0, Keycloak, Entra ID and many more.
//
// It is also the example of a third-party plugin: its own Go module, built
// only on tokenplug's public SDK (package plugin) and tested with its
// conformance kit (package plugin/plugintest). Build it as
// tokenplug-clientcredentials and put it in the host's plugin_dir or $PATH.
package main

import "github.com/tokenplug/tokenplug/plugin"

func main() { plugin.Serve(provider{}) }
