package host

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"golang.org/x/oauth2"
)

// ProviderConfig is one provider: which plugin serves it and its settings.
type ProviderConfig struct {
	// Plugin is the plugin's name: the binary is a built-in, or
	// tokenplug-<Plugin> in the plugin directory or on $PATH.
	Plugin string
	// Path runs this binary instead of looking Plugin up.
	Path string
	// Args are extra arguments for the binary.
	Args []string
	// SHA256, if set, pins the binary: a plugin whose hex SHA-256 differs is
	// refused before it runs.
	SHA256 string
	// Hosts are the host patterns tokens may be sent to (see package
	// hostmatch). They replace the plugin's default hosts (its vendor's API
	// hosts). A provider with neither sends its token nowhere: every request
	// fails until hosts are configured. Only ["*"] means every host.
	Hosts []string
	// AllowInsecure lets the transport send this provider's token over
	// plain http to hosts that are not loopback. Leave it off outside
	// tests: on plain http anyone on the path can read and replay the token.
	AllowInsecure bool
	// Settings go to the plugin's Configure. Keys are checked against the
	// plugin's declared settings; secret values never appear in logs or
	// errors.
	Settings map[string]string
	// Isolate runs the provider in a plugin process of its own. By
	// default the providers of one plugin binary (same resolved path,
	// SHA256 pin and Args) share one process, each an instance isolated
	// from the others in the plugin (see docs/writing-a-plugin.md).
	Isolate bool
}

// Registry holds named providers, each a Source backed by a plugin process
// started on first use, or at once with Warm or WithWarmOnRegister. It is
// safe for concurrent use. Close stops every plugin it started and every
// goroutine it runs; a Registry must be closed.
type Registry struct {
	o options

	mu       sync.Mutex // guards sources and closed, and removing.Add against Close
	sources  map[string]*Source
	closed   bool
	removing sync.WaitGroup // Remove calls still closing their source

	warming *warmer // background warm-ups (WithWarmOnRegister)
	procs   *pool   // the plugin processes, shared by the providers of a binary
}

// NewRegistry returns an empty Registry.
func NewRegistry(opts ...Option) *Registry {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	for _, c := range o.replaced {
		_ = c.Close() // never used: nothing to report
	}
	o.replaced = nil
	o.tel = newTelemetry(o.meterProvider, o.tracerProvider, o.logger)
	r := &Registry{o: o, sources: map[string]*Source{}, warming: newWarmer()}
	r.procs = newPool(&r.o)
	return r
}

// Register adds a provider under name, after checking cfg (see
// ProviderConfig.Validate): a bad value is a *ConfigError naming its path
// ("hosts[1]"), several are joined. The plugin starts on first use, or
// now in the background with WithWarmOnRegister; Warm checks what needs
// the plugin (that it exists, which settings it declares).
func (r *Registry) Register(name string, cfg ProviderConfig) error {
	p, err := validate(name, cfg)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if _, dup := r.sources[name]; dup {
		return fmt.Errorf("tokenplug: provider %q: registered twice", name)
	}
	src := r.newSource(p)
	r.sources[name] = src
	if r.o.warmOnRegister {
		r.warming.start(src, r.o.logger)
	}
	return nil
}

// newSource returns the Source of a validated provider.
func (r *Registry) newSource(p *provider) *Source {
	proc := newProcess(p.name, p.cfg, p.pin, r.procs)
	var key string
	if r.o.cache != nil {
		key = r.o.cache.Key(cachePluginName(p.cfg), p.cfg.Settings)
		proc.shared, _ = r.o.cache.(SettingsCache)
		proc.cacheKey = key
	}
	src := newSource(p.name, p.cfg.Hosts, r.o.shared(p.name, p.cfg, key, r.o.tel.upstream(p.name, proc.token)), &r.o)
	src.proc = proc
	src.initScope(p.hosts, p.cfg.AllowInsecure)
	return src
}

// Source returns the named provider's Source, or a nil *Source and an
// error. Check the error: transport.New and grpccreds.New given the nil
// Source fail every request.
func (r *Registry) Source(name string) (*Source, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	s, ok := r.sources[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownProvider, name)
	}
	return s, nil
}

// Names returns the registered provider names, sorted.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.sources))
}

// Token is shorthand for r.Source(name) then Token(ctx).
func (r *Registry) Token(ctx context.Context, name string) (*oauth2.Token, error) {
	s, err := r.Source(name)
	if err != nil {
		return nil, err
	}
	return s.Token(ctx)
}

// Remove takes the named provider out of the registry, for a tenant that
// is gone or whose settings change (Remove, then Register again). Its
// Source fails every call from then on with a permanent error wrapping
// ErrRemoved, its cached token included; its background work ends and its
// plugin instance is released before Remove returns. A plugin process
// shared with other providers keeps serving them, and stops with its last
// provider. Remove returns an error wrapping ErrUnknownProvider for a
// name that is not registered.
func (r *Registry) Remove(name string) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	s, ok := r.sources[name]
	if !ok {
		r.mu.Unlock()
		return fmt.Errorf("%w %q", ErrUnknownProvider, name)
	}
	delete(r.sources, name)
	r.removing.Add(1)
	r.mu.Unlock()
	defer r.removing.Done()
	s.close(ErrRemoved)
	return nil
}

// Close stops every plugin the registry started, waits for background
// refreshes and warm-ups to end, and closes the shared cache (WithCache),
// returning its error. Sources handed out before fail every call with
// ErrClosed afterwards, even with a token cached.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	sources := slices.Collect(maps.Values(r.sources))
	r.mu.Unlock()

	r.warming.stop() // its waits end now; the fetches are the sources' to end

	var wg sync.WaitGroup
	for _, s := range sources {
		wg.Go(func() { s.close(ErrClosed) })
	}
	wg.Wait()
	r.removing.Wait()
	if r.o.cache != nil {
		return r.o.cache.Close()
	}
	return nil
}
