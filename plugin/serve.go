package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
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

// PluginSets returns the versioned plugin sets a plugin serves (impl set) or
// a host dispenses (impl nil).
func PluginSets(impl Provider) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		ProtocolVersion: {PluginKey: &GRPCPlugin{Impl: impl}},
	}
}

// Serve runs p as a plugin and does not return. It must be called from main.
//
// Run by a host, it serves the provider over go-plugin gRPC and exits when
// the host process goes away. Run by hand with the argument "describe", it
// prints p's description as JSON and exits, so tools can inspect a binary
// without the plugin handshake.
func Serve(p Provider) {
	if len(os.Args) == 2 && os.Args[1] == "describe" && os.Getenv(Handshake.MagicCookieKey) == "" {
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
		HandshakeConfig:  Handshake,
		VersionedPlugins: PluginSets(p),
		GRPCServer:       goplugin.DefaultGRPCServer,
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

func writeDescription(w io.Writer, d Description) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(describeToJSON(d))
}

// describeJSON is the stable JSON form of a Description (the "describe"
// command's output).
type describeJSON struct {
	Name            string        `json:"name"`
	Version         string        `json:"version"`
	ProtocolVersion int           `json:"protocol_version"`
	Settings        []settingJSON `json:"settings"`
	DefaultHosts    []string      `json:"default_hosts"`
}

type settingJSON struct {
	Key         string `json:"key"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required"`
	Secret      bool   `json:"secret"`
	Default     string `json:"default,omitempty"`
}

func describeToJSON(d Description) describeJSON {
	out := describeJSON{Name: d.Name, Version: d.Version, ProtocolVersion: ProtocolVersion, Settings: []settingJSON{}, DefaultHosts: []string{}}
	out.DefaultHosts = append(out.DefaultHosts, d.DefaultHosts...)
	for _, s := range d.Settings {
		out.Settings = append(out.Settings, settingJSON(s))
	}
	return out
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
