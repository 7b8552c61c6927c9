package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/plugin"
)

// process runs one provider's plugin binary. It starts it on first use,
// configures it, notices when it has exited or stopped answering, and
// starts a new one, with backoff between failed starts. Safe for
// concurrent use.
type process struct {
	name string
	cfg  ProviderConfig
	pin  []byte // the decoded sha256 pin; nil: unpinned
	o    *options
	log  *slog.Logger
	red  *redactor

	stopping atomic.Bool // the host is stopping a plugin: its exit is expected

	mu     sync.Mutex // guards the fields below; held across a start
	inst   *instance  // the running plugin, or nil
	closed bool
	gate   gate // backoff after failed starts
}

// instance is one running plugin process.
type instance struct {
	client *launch.Plugin
	cmd    *exec.Cmd // the host's runner starts this very Cmd; its Process is the plugin
	rpc    launch.Conn
	desc   plugin.Description
	stdout *lineWriter // what the plugin writes to stdout after the handshake
	stderr *lineWriter // and to stderr
	unpin  func()      // releases the pinned copy of the binary, if any
}

// stopGrace is how long a plugin gets to exit after a graceful shutdown
// request before it is killed.
const stopGrace = 2 * time.Second

// stop ends the plugin process. go-plugin's Kill first asks the plugin to
// shut down and waits for the answer with no deadline, so a hung plugin
// would block it forever: with hard set (the plugin is dead or hung) the
// process is killed first; otherwise it gets stopGrace to comply.
func (i *instance) stop(hard bool) {
	if hard {
		i.killProcess()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		i.client.Kill()
	}()
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		i.killProcess()
		<-done
	}
	i.stdout.flush()
	i.stderr.flush()
	if i.unpin != nil {
		i.unpin()
	}
}

func (i *instance) killProcess() {
	if i.cmd.Process != nil {
		_ = i.cmd.Process.Kill() // already exited is fine
	}
}

func newProcess(name string, cfg ProviderConfig, o *options) *process {
	red := &redactor{}
	log := o.logger.With("provider", name)
	return &process{name: name, cfg: cfg, o: o, log: log, red: red}
}

// token fetches a token from the plugin. Fetches are rare (once per token
// lifetime), so each first checks the plugin answers its health check: a
// hung plugin is found within the ping timeout, not the fetch timeout, and
// replaced. If the call itself fails because the plugin died during it, the
// plugin is restarted and asked once more.
func (p *process) token(ctx context.Context, force bool) (*oauth2.Token, error) {
	inst, err := p.live(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := inst.rpc.Token(ctx, force)
	if err == nil || plugin.KindOf(err) != plugin.KindTemporary || errors.Is(ctx.Err(), context.Canceled) || p.alive(inst) {
		// A classified error came from a live plugin: the upstream's word.
		return tok, p.red.redactErr(err)
	}
	p.log.Warn("plugin died or hung during a fetch; replacing it", "error", p.red.redact(err.Error()))
	p.o.tel.pluginRestart(p.name, "died_in_fetch")
	p.discard(inst)
	if ctx.Err() != nil {
		return nil, p.red.redactErr(err) // no time left; the next fetch starts a new plugin
	}
	if inst, err = p.get(ctx); err != nil {
		return nil, err
	}
	tok, err = inst.rpc.Token(ctx, force)
	return tok, p.red.redactErr(err)
}

// live returns a running plugin that answers its health check, replacing
// one that does not.
func (p *process) live(ctx context.Context) (*instance, error) {
	inst, err := p.get(ctx)
	if err != nil || p.alive(inst) {
		return inst, err
	}
	p.log.Warn("plugin stopped answering; restarting it")
	p.o.tel.pluginRestart(p.name, "unresponsive")
	p.discard(inst)
	return p.get(ctx)
}

// describe returns the running plugin's description, starting it if needed.
func (p *process) describe(ctx context.Context) (plugin.Description, error) {
	inst, err := p.get(ctx)
	if err != nil {
		return plugin.Description{}, err
	}
	return inst.desc, nil
}

// alive reports whether inst's process runs and answers a health check
// within the ping timeout.
func (p *process) alive(inst *instance) bool {
	if inst.client.Exited() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.o.pingTimeout)
	defer cancel()
	return inst.rpc.Ping(ctx) == nil
}

// get returns the running plugin, starting one if there is none or the last
// one exited.
func (p *process) get(ctx context.Context) (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if p.inst != nil && !p.inst.client.Exited() {
		return p.inst, nil
	}
	if p.inst != nil {
		p.log.Warn("plugin exited; restarting it")
		p.o.tel.pluginRestart(p.name, "exited")
		p.stop(p.inst, true)
		p.inst = nil
	}
	if err := p.gate.blocked(p.o.now()); err != nil {
		return nil, err
	}
	inst, err := p.start(ctx)
	p.o.tel.pluginStarted(p.name, err)
	if err != nil {
		p.gate.fail(err, p.o.now(), p.o.backoff, 0)
		return nil, err
	}
	p.gate.succeed()
	p.inst = inst
	return inst, nil
}

// discard kills inst if it is still the current plugin.
func (p *process) discard(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst == inst {
		p.inst = nil
	}
	p.stop(inst, true)
}

// stop stops inst, marking its exit as expected in the logs.
func (p *process) stop(inst *instance, hard bool) {
	p.stopping.Store(true)
	defer p.stopping.Store(false)
	inst.stop(hard)
}

func (p *process) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.inst != nil {
		p.stop(p.inst, false)
		p.inst = nil
	}
}

// start launches, describes and configures a new plugin process.
func (p *process) start(ctx context.Context) (*instance, error) {
	argv, err := p.resolve()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = cleanEnv(p.o.env)
	name := cmd.Path
	var unpin func()
	if p.pin != nil {
		if unpin, err = pin(cmd, p.pin); err != nil {
			return nil, p.pinErr(argv[0], err)
		}
	}
	inst := &instance{
		cmd:    cmd,
		stdout: p.lineLogger("plugin wrote to stdout"),
		stderr: p.lineLogger("plugin wrote to stderr"),
		unpin:  unpin, // kept while the plugin runs: a script reads it after exec
	}
	if inst.client, err = p.newClient(inst, name); err != nil {
		if unpin != nil {
			unpin()
		}
		return nil, p.startErr(argv[0], err)
	}
	// A start is shared by every caller waiting on it: bound it by the
	// start timeout, not by the context of the fetch that triggered it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.o.startTimeout)
	defer cancel()
	if err := p.handshake(ctx, inst, argv[0]); err != nil {
		p.stop(inst, true)
		return nil, err
	}
	p.log.Debug("plugin started", "path", argv[0], "plugin", inst.desc.Name, "version", inst.desc.Version)
	return inst, nil
}

// newClient returns a plugin client that starts inst.cmd, whose binary is
// name: for a pinned provider, the sha256-verified copy.
func (p *process) newClient(inst *instance, name string) (*launch.Plugin, error) {
	return launch.New(launch.Config{
		Cmd:          inst.cmd,
		Name:         name,
		Verified:     p.pin != nil,
		StartTimeout: p.o.startTimeout,
		Identity:     p.o.tls,
		Logger:       newHCLogBridge(p.log, p.red, &p.stopping),
		// After the handshake go-plugin carries the plugin's stdout and
		// stderr over its stdio stream; a well-behaved plugin writes
		// nothing there, so anything that arrives is worth a warning.
		SyncStdout: inst.stdout,
		SyncStderr: inst.stderr,
	})
}

// handshake connects to a started plugin, describes and configures it.
func (p *process) handshake(ctx context.Context, inst *instance, path string) error {
	rpc, err := inst.client.Connect()
	if err != nil {
		return p.startErr(path, err)
	}
	desc, err := rpc.Describe(ctx)
	if err != nil {
		return fmt.Errorf("plugin %s: describe: %w", path, err)
	}
	p.red.set(launch.SecretValues(desc, p.cfg.Settings))
	if _, err := plugin.ApplySchema(desc, p.cfg.Settings); err != nil {
		return p.red.redactErr(err)
	}
	if err := rpc.Configure(ctx, p.cfg.Settings); err != nil {
		return p.red.redactErr(err)
	}
	inst.rpc, inst.desc = rpc, desc
	return nil
}

// pinErr explains why the binary at path could not be pinned.
func (p *process) pinErr(path string, err error) error {
	switch {
	case errors.Is(err, errPinMismatch):
		return configErr(fmt.Sprintf("plugin %s does not match its sha256 pin: refusing to run it", path))
	case errors.Is(err, plugin.ErrConfig):
		return err
	}
	return p.startErr(path, err)
}

func (p *process) startErr(path string, err error) error {
	// go-plugin's handshake errors span many lines; keep the part that
	// says what went wrong, on one line.
	msg := err.Error()
	if m := versionMismatch.FindStringSubmatch(msg); m != nil {
		return configErr(fmt.Sprintf("plugin %s speaks tokenplug plugin protocol %s; this host speaks %d: use a plugin built for protocol %d",
			path, m[1], plugin.ProtocolVersion, plugin.ProtocolVersion))
	}
	if i := strings.Index(msg, "Additional notes about plugin"); i > 0 {
		msg = msg[:i]
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return &messageError{
		msg: fmt.Sprintf("start plugin %s: %s (this host speaks tokenplug plugin protocol %d)", path, msg, plugin.ProtocolVersion),
		err: err,
	}
}

// resolve finds the command for the provider: an explicit path, a built-in,
// tokenplug-<plugin> in the plugin directory, then on $PATH.
func (p *process) resolve() ([]string, error) {
	if p.cfg.Path != "" {
		return append([]string{p.cfg.Path}, p.cfg.Args...), nil
	}
	if argv, ok := p.o.builtins[p.cfg.Plugin]; ok {
		return append(append([]string(nil), argv...), p.cfg.Args...), nil
	}
	bin := "tokenplug-" + p.cfg.Plugin
	if p.o.pluginDir != "" {
		path := filepath.Join(p.o.pluginDir, bin)
		if fi, err := os.Stat(path); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return append([]string{path}, p.cfg.Args...), nil
		}
	}
	if path, err := exec.LookPath(bin); err == nil {
		return append([]string{path}, p.cfg.Args...), nil
	}
	where := "$PATH"
	if p.o.pluginDir != "" {
		where = p.o.pluginDir + " or $PATH"
	}
	return nil, configErr(fmt.Sprintf("plugin %q not found: no built-in and no %s in %s", p.cfg.Plugin, bin, where))
}

// versionMismatch matches go-plugin's "incompatible API version" error.
var versionMismatch = regexp.MustCompile(`(?i)incompatible API version.*Plugin version: (\d+)`)

// lineLogger returns a writer that logs each line written to it as a
// warning, secrets scrubbed.
func (p *process) lineLogger(msg string) *lineWriter {
	return &lineWriter{emit: func(line string) {
		if line = strings.TrimSpace(line); line != "" {
			p.log.Warn(msg, "line", p.red.redact(line))
		}
	}}
}

func configErr(msg string) error { return &plugin.Error{Kind: plugin.KindConfig, Err: errors.New(msg)} }
