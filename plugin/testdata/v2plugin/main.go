// Command v2plugin is a plugin built for a future tokenplug protocol,
// version 2, which hosts of this release do not speak. The version test
// launches it the way a host does and checks the refusal names both
// versions.
package main

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

const futureVersion = 2

type provider struct{}

func (provider) Describe() plugin.Description {
	return plugin.Description{Name: "future", Version: "2.0.0"}
}

func (provider) Configure(context.Context, map[string]string) (oauth2.TokenSource, error) {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "from-the-future"}), nil
}

func main() {
	handshake := plugin.Handshake
	handshake.ProtocolVersion = futureVersion
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{
			futureVersion: {plugin.PluginKey: &plugin.GRPCPlugin{Impl: provider{}}},
		},
		GRPCServer: goplugin.DefaultGRPCServer,
	})
}
