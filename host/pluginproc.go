package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/plugin"
)

// pluginProc runs one plugin binary for the providers that share it (see
// pool): every provider of a plugin that serves many instances
// (multi_instance), or the one provider of a plugin that does not or of a
// provider that asked for its own process (Isolate). It starts the binary
// on first use, notices when it has exited or stopped answering, and
// starts a new one, with backoff between failed starts. Its providers
// configure their instances on it themselves (see process). Safe for
// concurrent use.
type pluginProc struct {
	cfg ProviderConfig // where the binary is: Plugin, Path, Args
	pin []byte         // the decoded sha256 pin; nil: unpinned
	o   *options
	log *slog.Logger
	red *redactor // every provider's secrets: the plugin's log lines name none

	stopping atomic.Bool // the host is stopping a plugin: its exit is expected

	secretsMu sync.Mutex            // guards secrets, ids, byID, and rebuilding red
	secrets   map[*process][]string // each provider's secret setting values
	ids       map[*process]string   // each configured provider's instance id
	byID      map[string]*process   // and the other way round (see lineOwner)
	stale     atomic.Bool           // secrets changed since red was built

	mu      sync.Mutex // guards the fields below; held across a start
	inst    *instance  // the running plugin, or nil
	owner   *process   // the one provider of a single-instance plugin
	closed  bool
	started bool           // a plugin has started before: the next start is a restart
	gate    gate           // backoff after failed starts
	wg      sync.WaitGroup // reconfigurations after restarts, added to under mu
}

// instance is one running plugin process.
type instance struct {
	client *launch.Plugin
	cmd    *exec.Cmd // the host's runner starts this very Cmd; its Process is the plugin
	rpc    launch.Conn
	desc   plugin.Description
	multi  bool        // the plugin serves many provider instances
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

// name is the plugin's name for metrics: its binary's file name, or the
// plugin the configuration names.
func (pp *pluginProc) name() string {
	if pp.cfg.Path != "" {
		return filepath.Base(pp.cfg.Path)
	}
	return pp.cfg.Plugin
}

// newPluginProc returns the plugin process of cfg's binary, logging with
// log. It starts on first use.
func newPluginProc(cfg ProviderConfig, pin []byte, o *options, log *slog.Logger) *pluginProc {
	pp := &pluginProc{cfg: cfg, pin: pin, o: o, log: log, red: &redactor{},
		secrets: map[*process][]string{}, ids: map[*process]string{}, byID: map[string]*process{}}
	pp.red.stale = pp.refresh
	return pp
}

// setSecrets records (nil: forgets) p's secret values, so that they are
// scrubbed from everything the plugin says: its log lines cannot be told
// apart by provider, so each is scrubbed of every provider's secrets. The
// scrubber is rebuilt on its next use, not here: a thousand providers
// configuring must not rebuild it a thousand times.
func (pp *pluginProc) setSecrets(p *process, secrets []string) {
	pp.secretsMu.Lock()
	defer pp.secretsMu.Unlock()
	if secrets == nil {
		delete(pp.secrets, p)
		pp.forgetID(p)
	} else {
		pp.secrets[p] = secrets
	}
	pp.stale.Store(true)
}

// refresh rebuilds the scrubber if secrets changed since it was built. It
// runs before every use, so a secret recorded before its Configure is sent
// is scrubbed from every line the plugin logs after.
func (pp *pluginProc) refresh() {
	if !pp.stale.Load() {
		return
	}
	pp.secretsMu.Lock()
	defer pp.secretsMu.Unlock()
	if !pp.stale.Load() {
		return
	}
	var all []string
	for _, s := range pp.secrets {
		all = append(all, s...)
	}
	pp.red.set(all)
	pp.stale.Store(false)
}

// claim reports whether p may configure the single-instance plugin: it is
// its first provider, or already owns it.
func (pp *pluginProc) claim(p *process) bool {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.owner == nil {
		pp.owner = p
	}
	return pp.owner == p
}

// live returns a running plugin that answers its health check, replacing
// one that does not.
func (pp *pluginProc) live(ctx context.Context) (*instance, error) {
	inst, err := pp.get(ctx)
	if err != nil || pp.alive(inst) {
		return inst, err
	}
	pp.log.Warn("plugin stopped answering; restarting it")
	pp.o.tel.pluginRestart(pp.name(), "unresponsive")
	pp.discard(inst)
	return pp.get(ctx)
}

// alive reports whether inst's process runs and answers a health check
// within the ping timeout.
func (pp *pluginProc) alive(inst *instance) bool {
	if inst.client.Exited() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), pp.o.pingTimeout)
	defer cancel()
	return inst.rpc.Ping(ctx) == nil
}

// get returns the running plugin, starting one if there is none or the last
// one exited. Starts and restarts are counted against the plugin.
func (pp *pluginProc) get(ctx context.Context) (*instance, error) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.closed {
		return nil, ErrClosed
	}
	if pp.inst != nil && !pp.inst.client.Exited() {
		return pp.inst, nil
	}
	if pp.inst != nil {
		pp.log.Warn("plugin exited; restarting it")
		pp.o.tel.pluginRestart(pp.name(), "exited")
		pp.stop(pp.inst, true)
		pp.inst = nil
	}
	if err := pp.gate.blocked(pp.o.now()); err != nil {
		return nil, err
	}
	inst, err := pp.start(ctx)
	pp.o.tel.pluginStarted(pp.name(), err)
	if err != nil {
		pp.gate.fail(err, pp.o.now(), pp.o.backoff, 0)
		return nil, err
	}
	pp.gate.succeed()
	pp.inst = inst
	if pp.started {
		pp.wg.Go(func() { pp.reconfigureAll(inst) })
	}
	pp.started = true
	return inst, nil
}

// discard kills inst if it is still the current plugin.
func (pp *pluginProc) discard(inst *instance) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.inst == inst {
		pp.inst = nil
	}
	pp.stop(inst, true)
}

// stop stops inst, marking its exit as expected in the logs.
func (pp *pluginProc) stop(inst *instance, hard bool) {
	pp.stopping.Store(true)
	defer pp.stopping.Store(false)
	inst.stop(hard)
}

// close stops the plugin for good.
func (pp *pluginProc) close() {
	pp.mu.Lock()
	pp.closed = true
	if pp.inst != nil {
		pp.stop(pp.inst, false)
		pp.inst = nil
	}
	pp.mu.Unlock()
	pp.wg.Wait() // their plugin is gone: they end at once
}

// start launches and describes a new plugin process.
func (pp *pluginProc) start(ctx context.Context) (*instance, error) {
	argv, err := resolve(pp.cfg, pp.o)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(cleanEnv(pp.o.env), pp.o.envValues...)
	name := cmd.Path
	var unpin func()
	if pp.pin != nil {
		if unpin, err = pin(cmd, pp.pin); err != nil {
			return nil, pinErr(argv[0], err)
		}
	}
	inst := &instance{
		cmd:    cmd,
		stdout: pp.lineLogger("plugin wrote to stdout"),
		stderr: pp.lineLogger("plugin wrote to stderr"),
		unpin:  unpin, // kept while the plugin runs: a script reads it after exec
	}
	if inst.client, err = pp.newClient(inst, name); err != nil {
		if unpin != nil {
			unpin()
		}
		return nil, startErr(argv[0], err)
	}
	// A start is shared by every caller waiting on it: bound it by the
	// start timeout, not by the context of the fetch that triggered it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pp.o.startTimeout)
	defer cancel()
	if err := pp.handshake(ctx, inst, argv[0]); err != nil {
		pp.stop(inst, true)
		return nil, err
	}
	pp.log.Debug("plugin started", "path", argv[0], "plugin", inst.desc.Name, "version", inst.desc.Version, "multi_instance", inst.multi)
	return inst, nil
}

// newClient returns a plugin client that starts inst.cmd, whose binary is
// name: for a pinned provider, the sha256-verified copy.
func (pp *pluginProc) newClient(inst *instance, name string) (*launch.Plugin, error) {
	return launch.New(launch.Config{
		Cmd:          inst.cmd,
		Name:         name,
		Verified:     pp.pin != nil,
		StartTimeout: pp.o.startTimeout,
		Identity:     pp.o.tls,
		Logger:       newHCLogBridge(pp, &pp.stopping),
		// After the handshake go-plugin carries the plugin's stdout and
		// stderr over its stdio stream; a well-behaved plugin writes
		// nothing there, so anything that arrives is worth a warning.
		SyncStdout: inst.stdout,
		SyncStderr: inst.stderr,
	})
}

// handshake connects to a started plugin and describes it.
func (pp *pluginProc) handshake(ctx context.Context, inst *instance, path string) error {
	rpc, err := inst.client.Connect()
	if err != nil {
		return startErr(path, err)
	}
	desc, multi, err := rpc.DescribeInstances(ctx)
	if err != nil {
		return fmt.Errorf("plugin %s: describe: %w", path, err)
	}
	inst.rpc, inst.desc, inst.multi = rpc, desc, multi
	return nil
}

// lineLogger returns a writer that logs each line written to it as a
// warning, secrets scrubbed.
func (pp *pluginProc) lineLogger(msg string) *lineWriter {
	return &lineWriter{emit: func(line string) {
		if line = strings.TrimSpace(line); line != "" {
			log, red := pp.lineOwner("")
			log.Warn(msg, "line", red.redact(line))
		}
	}}
}

// pinErr explains why the binary at path could not be pinned.
func pinErr(path string, err error) error {
	switch {
	case errors.Is(err, errPinMismatch):
		return configErr(fmt.Sprintf("plugin %s does not match its sha256 pin: refusing to run it", path))
	case errors.Is(err, plugin.ErrConfig):
		return err
	}
	return startErr(path, err)
}

func startErr(path string, err error) error {
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

// versionMismatch matches go-plugin's "incompatible API version" error.
var versionMismatch = regexp.MustCompile(`(?i)incompatible API version.*Plugin version: (\d+)`)

func configErr(msg string) error { return &plugin.Error{Kind: plugin.KindConfig, Err: errors.New(msg)} }
