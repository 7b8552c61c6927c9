// Command v2plugin is a plugin built for a future tokenplug protocol,
// version 2, which hosts of this release do not speak. The version test
// launches it the way a host does and checks the refusal names both
// versions.
package main

import (
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/tokenplug/tokenplug/internal/wire"
	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

const futureVersion = 2

func main() {
	handshake := wire.Handshake
	handshake.ProtocolVersion = futureVersion
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{
			// No host of this release gets past the handshake: the
			// service is never called.
			futureVersion: {wire.PluginKey: &wire.Plugin{Provider: pb.UnimplementedProviderServer{}}},
		},
		GRPCServer: goplugin.DefaultGRPCServer,
	})
}
