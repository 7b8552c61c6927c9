// Package wire is the go-plugin glue of the provider contract, shared by
// the plugin side (plugin.Serve) and the host side (internal/launch): the
// handshake, the plugin set, the key hosts dispense, and how the plugin
// gets its channel certificate (tls.go). Plugin authors
// never see it; the contract's types and conversions live in package
// plugin, which this package does not import.
package wire

import (
	"context"
	"errors"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

// ProtocolVersion is the version of the provider contract:
// plugin.ProtocolVersion, its public name (a test in package plugin keeps
// the two equal).
const ProtocolVersion = 1

// PluginKey is the name of the provider in go-plugin's plugin set; hosts
// Dispense it.
const PluginKey = "provider"

// Handshake is go-plugin's handshake for tokenplug plugins. The cookie only
// stops a user from running a plugin binary by hand by mistake; it is not a
// security measure.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "TOKENPLUG_PLUGIN",
	MagicCookieValue: "7d1f3c0b-tokenplug-provider",
}

// SingleInstance, set by a plugin's main before plugin.Serve, makes the
// SDK's server behave as it did before multi_instance: it does not
// announce it, and every Configure replaces its one default instance.
// Test plugins set it to prove hosts still serve such plugins, one
// process per provider; plugin authors cannot (the package is internal).
var SingleInstance bool

// InstanceLogKey is the attribute with which the SDK's logger tags a log
// line written for one provider instance (the instance id the host got
// from Configure), so that the host can name the provider the line
// belongs to and scrub it of that provider's secrets. A provider's own
// attribute of that name is renamed by the SDK.
const InstanceLogKey = "@instance"

// NoChallenges, set by a plugin's main before plugin.Serve, makes the
// SDK's server behave as it did before answers_challenges: it does not
// announce it, and a Token request's challenge is ignored (the default
// token comes back, as an older plugin's would). Test plugins set it to
// prove hosts never send such plugins a challenge.
var NoChallenges bool

// NewClient returns the host's view of the plugin behind conn. Package
// plugin, which owns the contract's conversions, sets it when it loads;
// internal/launch imports plugin, so a host always has it.
var NewClient func(conn *grpc.ClientConn) any

// Plugin is go-plugin's glue for the provider service. In a plugin process
// Provider serves it; in a host, Provider is nil and Dispense returns
// NewClient's value.
type Plugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Provider pb.ProviderServer
}

// GRPCServer registers Provider on s. go-plugin calls it in the plugin
// process.
func (p *Plugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.Provider == nil {
		return errors.New("tokenplug/plugin: no provider to serve")
	}
	pb.RegisterProviderServer(s, p.Provider)
	return nil
}

// GRPCClient returns the host's view of the plugin behind c. go-plugin
// calls it in the host process.
func (p *Plugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	if NewClient == nil {
		return nil, errors.New("tokenplug/plugin: package plugin is not linked in")
	}
	return NewClient(c), nil
}

// Sets returns the versioned plugin sets that serve server (in a plugin)
// or dispense clients (in a host: server nil).
func Sets(server pb.ProviderServer) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		ProtocolVersion: {PluginKey: &Plugin{Provider: server}},
	}
}
