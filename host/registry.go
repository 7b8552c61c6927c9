package host

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/hostmatch"
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
}

// Registry holds named providers, each a Source backed by a plugin process
// started on first use. It is safe for concurrent use. Close stops every
// plugin it started; a Registry must be closed.
type Registry struct {
	o options

	mu      sync.Mutex // guards sources and closed
	sources map[string]*Source
	closed  bool
}

// NewRegistry returns an empty Registry.
func NewRegistry(opts ...Option) *Registry {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return &Registry{o: o, sources: map[string]*Source{}}
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Register adds a provider under name. Nothing starts until its first use.
func (r *Registry) Register(name string, cfg ProviderConfig) error {
	switch {
	case !validName.MatchString(name):
		return fmt.Errorf("tokenplug: provider name %q: use letters, digits, '.', '_' or '-'", name)
	case cfg.Plugin == "" && cfg.Path == "":
		return fmt.Errorf("tokenplug: provider %q: plugin: required", name)
	case cfg.Plugin != "" && !validName.MatchString(cfg.Plugin):
		return fmt.Errorf("tokenplug: provider %q: plugin %q: not a plugin name", name, cfg.Plugin)
	}
	if cfg.SHA256 != "" {
		if b, err := hex.DecodeString(cfg.SHA256); err != nil || len(b) != 32 {
			return fmt.Errorf("tokenplug: provider %q: sha256: not a hex SHA-256 digest (64 hex digits)", name)
		}
	}
	if err := hostmatch.Check(cfg.Hosts...); err != nil {
		return fmt.Errorf("tokenplug: provider %q: hosts: %w", name, err)
	}
	cfg.Settings = maps.Clone(cfg.Settings)
	cfg.Hosts = slices.Clone(cfg.Hosts)
	cfg.Args = slices.Clone(cfg.Args)

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if _, dup := r.sources[name]; dup {
		return fmt.Errorf("tokenplug: provider %q: registered twice", name)
	}
	proc := newProcess(name, cfg, &r.o)
	src := newSource(name, cfg.Hosts, r.o.shared(cfg, proc.token), &r.o)
	src.proc = proc
	src.initScope(cfg)
	r.sources[name] = src
	return nil
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

// Close stops every plugin the registry started, waits for background
// refreshes to end, and closes the shared cache (WithCache), returning its
// error. Sources handed out before return ErrClosed afterwards.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	sources := slices.Collect(maps.Values(r.sources))
	r.mu.Unlock()

	var wg sync.WaitGroup
	for _, s := range sources {
		wg.Go(s.close)
	}
	wg.Wait()
	if r.o.cache != nil {
		return r.o.cache.Close()
	}
	return nil
}
