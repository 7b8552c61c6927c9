package host

import (
	"encoding/hex"
	"strings"
	"sync"
)

// pool holds a Registry's plugin processes, one per plugin binary: the
// providers of a binary (same resolved path, sha256 pin and arguments)
// share its process, unless they asked for their own (Isolate) or the
// plugin serves one provider per process (no multi_instance: see process).
// A process stops when its last provider is closed.
type pool struct {
	o *options

	mu    sync.Mutex // guards procs and refs
	procs map[string]*pluginProc
	refs  map[*pluginProc]int
}

func newPool(o *options) *pool {
	return &pool{o: o, procs: map[string]*pluginProc{}, refs: map[*pluginProc]int{}}
}

// procKey names the binary cfg runs: its resolved command line when it
// resolves now, else what the configuration names; and the pin.
func procKey(cfg ProviderConfig, pin []byte, o *options) string {
	argv, err := resolve(cfg, o)
	if err != nil {
		argv = append([]string{"plugin=" + cfg.Plugin, "path=" + cfg.Path}, cfg.Args...)
	}
	return hex.EncodeToString(pin) + "\x00" + strings.Join(argv, "\x00")
}

// acquire returns the shared process of cfg's binary, starting none yet.
func (pl *pool) acquire(cfg ProviderConfig, pin []byte) *pluginProc {
	key := procKey(cfg, pin, pl.o)
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pp, ok := pl.procs[key]
	if !ok {
		label := cfg.Plugin
		if cfg.Path != "" {
			label = cfg.Path
		}
		pp = newPluginProc(cfg, pin, pl.o, pl.o.logger.With("plugin", label))
		pl.procs[key] = pp
	}
	pl.refs[pp]++
	return pp
}

// own returns a process of cfg's binary for name alone.
func (pl *pool) own(name string, cfg ProviderConfig, pin []byte) *pluginProc {
	pp := newPluginProc(cfg, pin, pl.o, pl.o.logger.With("provider", name))
	pl.mu.Lock()
	pl.refs[pp]++
	pl.mu.Unlock()
	return pp
}

// release drops a provider's hold on pp, stopping it after the last.
func (pl *pool) release(pp *pluginProc) {
	pl.mu.Lock()
	pl.refs[pp]--
	last := pl.refs[pp] <= 0
	if last {
		delete(pl.refs, pp)
		for k, v := range pl.procs {
			if v == pp {
				delete(pl.procs, k)
			}
		}
	}
	pl.mu.Unlock()
	if last {
		pp.close()
	}
}
