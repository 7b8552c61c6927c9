package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// process is one provider's view of its plugin process: an instance of the
// provider in a plugin process it shares with the other providers of the
// same binary (see pool), or in a process of its own. It configures its
// instance on first use and again on each new plugin process (after a
// crash), and releases it when closed. Safe for concurrent use.
type process struct {
	name string
	cfg  ProviderConfig
	pin  []byte // the decoded sha256 pin; nil: unpinned
	o    *options
	log  *slog.Logger
	pool *pool
	red  redactor // the provider's own secrets, for its errors (see recordSecrets)

	mu     sync.Mutex  // guards the fields below; held across a Configure
	pp     *pluginProc // the plugin process serving the provider
	on     *instance   // the running plugin the provider is configured on
	id     string      // its instance id there ("": the default instance)
	hosts  []string    // the default hosts the plugin gave for the instance (nil: its Description's)
	warned bool        // a secret too short to redact safely was warned about
	kept   keptUpdate  // the provider's settings update (settingsupdate.go)
	closed bool

	shared   SettingsCache // the shared cache, if it keeps settings updates; nil: memory only
	cacheKey string        // the configuration's key there
}

// newProcess returns the provider's process: the shared one of its binary,
// or its own when cfg.Isolate asks for it.
func newProcess(name string, cfg ProviderConfig, pin []byte, pl *pool) *process {
	p := &process{name: name, cfg: cfg, pin: pin, o: pl.o, log: pl.o.logger.With("provider", name), pool: pl}
	if cfg.Isolate {
		p.pp = pl.own(name, cfg, pin)
	} else {
		p.pp = pl.acquire(cfg, pin)
	}
	return p
}

// token fetches a token from the provider's instance. Fetches are rare
// (once per token lifetime), so each first checks the plugin answers its
// health check: a hung plugin is found within the ping timeout, not the
// fetch timeout, and replaced. If the call itself fails because the plugin
// died during it, the plugin is restarted, the instance configured again,
// and asked once more.
//
// A settings update the token carries is kept for the provider's next
// configurations and taken off the token (see keep); before the fetch, a
// newer one in the shared cache is adopted (see adopt).
func (p *process) token(ctx context.Context, force bool) (*oauth2.Token, error) {
	p.adopt(ctx)
	tok, pp, inst, err := p.call(ctx, force)
	if err != nil && plugin.KindOf(err) == plugin.KindPermanent && p.adopt(ctx) {
		// Refused, and another process stored a newer update since the
		// read above (it rotated the refresh token while we spent the old
		// one: a lost lease): once more, with its update.
		p.log.Debug("fetch refused; retrying with the settings update another process stored meanwhile")
		tok, pp, inst, err = p.call(ctx, force)
	}
	if err != nil {
		return nil, err
	}
	return p.keep(ctx, pp, inst, tok)
}

// call asks the provider's instance for a token, replacing a plugin that
// died during the call once (see token).
func (p *process) call(ctx context.Context, force bool) (*oauth2.Token, *pluginProc, *instance, error) {
	pp, inst, id, err := p.ready(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	tok, err := callToken(ctx, inst, id, force)
	if err == nil || plugin.KindOf(err) != plugin.KindTemporary || errors.Is(ctx.Err(), context.Canceled) || pp.alive(inst) {
		// A classified error came from a live plugin: the upstream's word.
		return tok, pp, inst, p.red.redactErr(err)
	}
	p.log.Warn("plugin died or hung during a fetch; replacing it", "error", p.red.redact(err.Error()))
	p.o.tel.pluginRestart(pp.name(), "died_in_fetch")
	pp.discard(inst)
	if ctx.Err() != nil {
		return nil, nil, nil, p.red.redactErr(err) // no time left; the next fetch starts a new plugin
	}
	if pp, inst, id, err = p.ready(ctx); err != nil {
		return nil, nil, nil, err
	}
	tok, err = callToken(ctx, inst, id, force)
	return tok, pp, inst, p.red.redactErr(err)
}

// ready returns a live plugin with the provider configured on it, and the
// provider's instance id there.
func (p *process) ready(ctx context.Context) (*pluginProc, *instance, string, error) {
	for {
		p.mu.Lock()
		pp := p.pp
		p.mu.Unlock()
		inst, err := pp.live(ctx)
		if err != nil {
			return nil, nil, "", err
		}
		p.mu.Lock()
		if p.pp != pp { // moved to a process of its own meanwhile
			p.mu.Unlock()
			continue
		}
		id, err := p.configure(ctx, pp, inst)
		p.mu.Unlock()
		if errors.Is(err, errShared) {
			p.pool.release(pp) // not under p.mu: the last release stops a plugin
			continue
		}
		return pp, inst, id, err
	}
}

// errShared says a plugin that serves one provider per process already
// serves another: the provider moves to a process of its own.
var errShared = errors.New("tokenplug: single-instance plugin serves another provider")

// configure creates the provider's instance on inst, unless it has one
// there that holds the kept settings update. p.mu is held.
func (p *process) configure(ctx context.Context, pp *pluginProc, inst *instance) (string, error) {
	if p.closed {
		return "", ErrClosed
	}
	if p.on == inst && p.kept.onGen == p.kept.gen {
		return p.id, nil
	}
	if !inst.multi && !pp.claim(p) {
		p.log.Debug("plugin serves one provider per process; starting one for this provider")
		p.pp = p.pool.own(p.name, p.cfg, p.pin)
		p.on, p.id = nil, ""
		return "", errShared
	}
	upd := p.update()
	settings := p.settingsWith(upd)
	p.recordSecrets(pp, inst.desc, upd)
	if _, err := plugin.ApplySchema(inst.desc, settings); err != nil {
		return "", p.red.redactErr(err)
	}
	// Like a start, a Configure is shared by every caller waiting on the
	// provider's fetch: bound it by the start timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.o.startTimeout)
	defer cancel()
	id, hosts, err := inst.rpc.ConfigureInstance(ctx, settings, inst.multi)
	if err == nil && len(p.cfg.Hosts) == 0 { // configured hosts make the plugin's moot
		err = checkInstanceHosts(inst.desc, hosts)
	}
	if err != nil {
		return "", p.red.redactErr(err)
	}
	if p.on == inst && inst.multi && p.id != id {
		p.releaseInstance(pp, inst, p.id) // the one configured before the update
	}
	p.on, p.id, p.hosts, p.kept.onGen = inst, id, hosts, p.kept.gen
	pp.setID(p, id)
	return id, nil
}

// instanceHosts configures the provider's instance, if it is not yet, and
// returns the default hosts its plugin gave for it (nil: the plugin's
// Description's).
func (p *process) instanceHosts(ctx context.Context) ([]string, error) {
	if _, _, _, err := p.ready(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hosts, nil
}

// describe returns the running plugin's description, starting it if needed.
func (p *process) describe(ctx context.Context) (plugin.Description, error) {
	p.mu.Lock()
	pp := p.pp
	p.mu.Unlock()
	inst, err := pp.get(ctx)
	if err != nil {
		return plugin.Description{}, err
	}
	return inst.desc, nil
}

// releaseTimeout bounds the Release of a closed provider's instance.
const releaseTimeout = time.Second

// close releases the provider's instance and its hold on the plugin
// process, which stops after its last provider.
func (p *process) close() {
	p.mu.Lock()
	p.closed = true
	pp, on, id := p.pp, p.on, p.id
	p.on, p.id = nil, ""
	p.kept = keptUpdate{} // a removed provider's rotated secrets do not linger
	p.mu.Unlock()
	if on != nil && id != "" {
		p.releaseInstance(pp, on, id)
	}
	pp.setSecrets(p, nil)
	p.pool.release(pp)
}

// releaseInstance releases instance id on inst, if its plugin still runs.
func (p *process) releaseInstance(pp *pluginProc, inst *instance, id string) {
	if inst.client.Exited() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	if err := inst.rpc.Release(ctx, id); err != nil {
		p.log.Debug("plugin did not release the instance", "error", p.red.redact(err.Error()))
	}
}

// resolve finds the command for the provider (see resolve).
func (p *process) resolve() ([]string, error) { return resolve(p.cfg, p.o) }

// resolve finds the command for a provider: an explicit path, a built-in,
// tokenplug-<plugin> in the plugin directory, then on $PATH.
func resolve(cfg ProviderConfig, o *options) ([]string, error) {
	if cfg.Path != "" {
		return append([]string{cfg.Path}, cfg.Args...), nil
	}
	if argv, ok := o.builtins[cfg.Plugin]; ok {
		return append(append([]string(nil), argv...), cfg.Args...), nil
	}
	bin := "tokenplug-" + cfg.Plugin
	if o.pluginDir != "" {
		path := filepath.Join(o.pluginDir, bin)
		if fi, err := os.Stat(path); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return append([]string{path}, cfg.Args...), nil
		}
	}
	if path, err := exec.LookPath(bin); err == nil {
		return append([]string{path}, cfg.Args...), nil
	}
	where := "$PATH"
	if o.pluginDir != "" {
		where = o.pluginDir + " or $PATH"
	}
	return nil, configErr(fmt.Sprintf("plugin %q not found: no built-in and no %s in %s", cfg.Plugin, bin, where))
}
