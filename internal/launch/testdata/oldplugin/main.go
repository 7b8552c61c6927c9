// Command oldplugin is served as plugins built with SDK releases before
// the host's own channel certificates were: with go-plugin's AutoMTLS
// answer (a certificate of its own, sent in the handshake) and no
// TLSProvider. Hosts of this release must still start it.
package main

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/tokenplug/tokenplug/internal/wire"
	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

type server struct{ pb.UnimplementedProviderServer }

func (server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return &pb.DescribeResponse{Name: "old", Version: "1.0.0"}, nil
}

func main() {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.Sets(server{}),
		GRPCServer:       goplugin.DefaultGRPCServer,
	})
}
