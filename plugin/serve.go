package plugin

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/tokenplug/tokenplug/internal/wire"
)

// ProtocolVersion is the version of the provider contract this SDK speaks.
// Hosts accept the versions they know; a plugin built for another version is
// refused with an error naming both.
//
// Compatibility promise (see the package doc): within a protocol version,
// fields are only added, and a host and plugin of any SDK release with the
// same ProtocolVersion work together. Breaking changes get a new version,
// and hosts keep accepting the old one for at least one minor release.
const ProtocolVersion = 1

// Serve runs p as a plugin and does not return. It must be called from main.
//
// Run by a host, it serves the provider over go-plugin gRPC and exits when
// the host process goes away. Run by hand with the argument "describe", it
// prints p's description as JSON and exits, so tools can inspect a binary
// without the plugin handshake.
func Serve(p Provider) {
	if len(os.Args) == 2 && os.Args[1] == "describe" && os.Getenv(wire.Handshake.MagicCookieKey) == "" {
		if err := writeDescription(os.Stdout, p.Describe()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	go watchParent(os.Getppid(), time.Second)
	if msg := versionMismatch(os.Getenv(hostVersionsEnv)); msg != "" {
		logger.Error(msg)
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.Sets(newServer(p)),
		GRPCServer:       goplugin.DefaultGRPCServer,
		TLSProvider:      channelTLS,
		Logger:           hclogger(),
	})
}

// hostVersionsEnv is where go-plugin tells a plugin which protocol versions
// the host accepts, comma-separated.
const hostVersionsEnv = "PLUGIN_PROTOCOL_VERSIONS"

// versionMismatch returns, in the plugin's own words, that the host does not
// speak this plugin's protocol version, or "" when it does (or did not say).
// The host refuses the handshake anyway, naming both versions; Serve logs
// this line so that whoever reads the plugin's log knows which side to
// upgrade.
func versionMismatch(hostVersions string) string {
	if hostVersions == "" {
		return ""
	}
	for _, v := range strings.Split(hostVersions, ",") {
		if strings.TrimSpace(v) == strconv.Itoa(ProtocolVersion) {
			return ""
		}
	}
	return fmt.Sprintf("this plugin speaks tokenplug plugin protocol %d but the host accepts only %s; "+
		"use a host and plugin built with SDK releases that share a protocol version", ProtocolVersion, hostVersions)
}

// watchParent exits the plugin when its parent dies. The host may die by
// SIGKILL and never tell us; the kernel then reparents us, which changes
// our parent pid. Polling is portable and immune to the thread-exit
// surprises of PR_SET_PDEATHSIG in Go programs.
func watchParent(ppid int, every time.Duration) {
	if ppid <= 1 {
		return // started by init or a container runtime: nothing to watch
	}
	for range time.Tick(every) {
		if os.Getppid() != ppid {
			logger.Info("host process is gone; exiting")
			os.Exit(0)
		}
	}
}

func hclogger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "plugin",
		Level:      hclog.LevelFromString(os.Getenv("TOKENPLUG_LOG_LEVEL")),
		Output:     os.Stderr,
		JSONFormat: true,
	})
}
