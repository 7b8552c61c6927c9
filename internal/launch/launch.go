// Package launch starts a tokenplug plugin binary over go-plugin and hands
// back its connection: the one place that knows the client configuration
// (handshake, gRPC only, mutual TLS, neither the host's environment nor its
// stdin), the dispense and the type of what it returns. The host,
// plugintest, testbin and the benchmarks all start plugins through it.
package launch

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/wire"
	"github.com/tokenplug/tokenplug/plugin"
)

// Conn is the host's view of a running plugin: the provider contract's
// calls, returning the same types and classified errors a provider returns
// in-process. It is safe for concurrent use.
type Conn interface {
	// Ping asks the plugin's gRPC health service whether it is serving.
	// Unlike go-plugin's Ping it honours ctx, so a plugin that stopped
	// answering is detected within the caller's deadline.
	Ping(ctx context.Context) error
	// Describe asks the plugin for its description.
	Describe(ctx context.Context) (plugin.Description, error)
	// Configure sends settings; field problems come back as
	// plugin.SettingErrors.
	Configure(ctx context.Context, settings map[string]string) error
	// Token fetches a new token; forceRefresh says the previous one was
	// rejected by a server.
	Token(ctx context.Context, forceRefresh bool) (*oauth2.Token, error)

	// DescribeInstances is Describe, and whether the plugin serves many
	// provider instances in one process (multi_instance).
	DescribeInstances(ctx context.Context) (plugin.Description, bool, error)
	// NewInstance creates a provider instance with settings in a
	// multi_instance plugin and returns its id; field problems come back
	// as plugin.SettingErrors.
	NewInstance(ctx context.Context, settings map[string]string) (string, error)
	// ConfigureInstance is NewInstance when newInstance is set, else
	// Configure, and also returns the default hosts the plugin gives for
	// the configuration (ConfigureResponse.default_hosts; nil: its
	// Description's).
	ConfigureInstance(ctx context.Context, settings map[string]string, newInstance bool) (string, []string, error)
	// InstanceToken is Token for instance ("": the default instance).
	InstanceToken(ctx context.Context, instance string, forceRefresh bool) (*oauth2.Token, error)
	// ChallengeToken fetches a token for instance answering a server's
	// challenge; only for plugins whose Description has
	// AnswersChallenges. An instance that cannot answer returns an error
	// wrapping plugin.ErrChallengeUnsupported.
	ChallengeToken(ctx context.Context, instance string, c plugin.Challenge) (*oauth2.Token, error)
	// Release drops instance from a multi_instance plugin.
	Release(ctx context.Context, instance string) error
}

// Config says how to start a plugin. The plugin never inherits the host's
// environment (only Cmd.Env and go-plugin's handshake variables) nor its
// stdin.
type Config struct {
	Cmd          *exec.Cmd    // the plugin's command, started as it is (not re-resolved by path)
	Name         string       // the plugin's path, for logs and errors; default Cmd.Path
	Verified     bool         // Cmd runs a sha256-verified copy of Name
	Logger       hclog.Logger // go-plugin's log; nil discards it
	Stderr       io.Writer    // the plugin's log lines (stderr before the handshake), if set
	SyncStdout   io.Writer    // what the plugin writes to os.Stdout after the handshake
	SyncStderr   io.Writer    // and to os.Stderr
	StartTimeout time.Duration
	Identity     *Identity // the host's TLS identity; nil makes one for this start
	Mode         Mode
}

// Mode is how the plugin channel is secured.
type Mode int

// Modes of the plugin channel. Only tests and benchmarks pick one other
// than the default.
const (
	PinnedTLS Mode = iota // mutual TLS with P-256 certificates (see Identity)
	AutoMTLS              // go-plugin's AutoMTLS, as hosts before PinnedTLS did
	PlainText             // none, to measure what TLS costs
)

// Plugin is a plugin process, started by Connect.
type Plugin struct {
	client *goplugin.Client
}

// New returns a plugin that Connect starts. It fails only if it cannot
// make a TLS certificate.
func New(cfg Config) (*Plugin, error) {
	cc, err := clientConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Plugin{client: goplugin.NewClient(cc)}, nil
}

// LogBufferSize is the longest plugin log line go-plugin hands to
// Config.Logger whole. A longer line arrives as Debug messages of exactly
// LogBufferSize bytes, then its rest: pieces that may cut a secret in two.
const LogBufferSize = 64 << 10

// clientConfig returns go-plugin's configuration for cfg.
func clientConfig(cfg Config) (*goplugin.ClientConfig, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cc := &goplugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.Sets(nil),
		SkipHostEnv:      true, // secrets reach plugins only through Configure
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         cfg.Mode == AutoMTLS,
		StartTimeout:     cfg.StartTimeout,
		Logger:           logger,
		Stderr:           cfg.Stderr,
		// Set, not left to go-plugin's default, because readers of the
		// log depend on it (see LogBufferSize).
		PluginLogBufferSize: LogBufferSize,
		SyncStdout:          cfg.SyncStdout,
		SyncStderr:          cfg.SyncStderr,
	}
	var env []string
	var stdin []byte
	if cfg.Mode == PinnedTLS {
		id := cfg.Identity
		if id == nil {
			id = new(Identity)
		}
		var err error
		if env, stdin, cc.TLSConfig, err = id.channel(); err != nil {
			return nil, fmt.Errorf("plugin channel certificate: %w", err)
		}
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Cmd.Path
	}
	cc.RunnerFunc = func(l hclog.Logger, spec *exec.Cmd, socketDir string) (runner.Runner, error) {
		spec.Env = append(spec.Env, env...)
		return newCmdRunner(l, cfg.Cmd, name, cfg.Verified, stdin, spec, socketDir)
	}
	return cc, nil
}

// Start starts the plugin that cfg describes and returns it with its
// connection; on failure the plugin is killed.
func Start(cfg Config) (*Plugin, Conn, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	conn, err := p.Connect()
	if err != nil {
		p.Kill()
		return nil, nil, err
	}
	return p, conn, nil
}

// Connect starts the process if it is not running, completes go-plugin's
// handshake and returns the plugin's connection. Its errors are
// go-plugin's, which name both protocol versions on a mismatch.
func (p *Plugin) Connect() (Conn, error) {
	rpc, err := p.client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(wire.PluginKey)
	if err != nil {
		return nil, err
	}
	conn, ok := raw.(Conn)
	if !ok {
		return nil, fmt.Errorf("unexpected client type %T", raw)
	}
	return conn, nil
}

// Kill stops the plugin: go-plugin asks it to shut down, waiting with no
// deadline for the answer, then kills it. A caller that may face a hung
// plugin kills its process first (see host's instance.stop).
func (p *Plugin) Kill() { p.client.Kill() }

// Exited reports whether the plugin's process has exited.
func (p *Plugin) Exited() bool { return p.client.Exited() }

// SecretValues returns the values of settings d marks secret, for
// scrubbing them out of logs, errors and test output.
func SecretValues(d plugin.Description, settings map[string]string) []string {
	var out []string
	for _, s := range d.Settings {
		if v := settings[s.Key]; s.Secret && v != "" {
			out = append(out, v)
		}
	}
	return out
}
