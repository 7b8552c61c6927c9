package host

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/tokenplug/tokenplug/plugin"
)

// maxWarming bounds the plugins a Registry starts at once: each start is
// a process exec and a TLS handshake, and a thousand at once would only
// queue on the CPUs while holding a thousand processes' memory.
const maxWarming = 16

// Warm starts every registered provider's plugin and fetches its first
// token, several providers at once, so that no request waits for a plugin
// start. It returns once every provider holds a token or has failed, or ctx
// is done, with every provider's error joined (errors.Join), each naming
// its provider: a plugin that cannot be found is a *ConfigError at
// "plugin"; a setting the plugin does not declare, or a required one left
// out, is an *Error whose plugin.SettingErrors name the keys. nil means
// every provider is ready.
//
// Warm is safe to call at any time, more than once; a provider that
// already holds a token makes no RPC. A failed provider is retried with
// backoff on its next use, as usual.
func (r *Registry) Warm(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	sources := make([]*Source, 0, len(r.sources))
	for _, name := range slices.Sorted(maps.Keys(r.sources)) {
		sources = append(sources, r.sources[name])
	}
	r.mu.Unlock()

	errs := make([]error, len(sources))
	sem := make(chan struct{}, maxWarming)
	var wg sync.WaitGroup
	for i, src := range sources {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				errs[i] = warmOne(ctx, src)
			case <-ctx.Done():
				errs[i] = &Error{Provider: src.name, Kind: plugin.KindTemporary, Err: ctx.Err()}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...) // in name order
}

// warmOne checks that src's plugin can be found, then fetches a token.
func warmOne(ctx context.Context, src *Source) error {
	if src.proc != nil && src.proc.cfg.Path == "" {
		if _, err := src.proc.resolve(); err != nil {
			return &ConfigError{Provider: src.name, Path: "plugin", Err: err}
		}
	}
	_, err := src.Token(ctx)
	return err
}

// warmer runs the background warm-ups of WithWarmOnRegister. Its
// goroutines belong to the Registry: stop cancels their waits and returns
// once they have ended.
type warmer struct {
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}  // bounds the starts at once, as in Warm
	wg     sync.WaitGroup // goroutines running
}

func newWarmer() *warmer {
	ctx, cancel := context.WithCancel(context.Background())
	return &warmer{ctx: ctx, cancel: cancel, sem: make(chan struct{}, maxWarming)}
}

// start fetches src's first token in the background, logging a failure:
// nobody waits for this fetch, and the next Token call reports the error
// to its caller. The caller holds the Registry's lock, so start never
// races stop.
func (w *warmer) start(src *Source, log *slog.Logger) {
	w.wg.Go(func() {
		select {
		case w.sem <- struct{}{}:
			defer func() { <-w.sem }()
		case <-w.ctx.Done():
			return
		}
		if err := warmOne(w.ctx, src); err != nil && w.ctx.Err() == nil && !errors.Is(err, ErrRemoved) {
			log.Warn("tokenplug: warming a provider failed; its next use retries", "provider", src.name, "error", err)
		}
	})
}

// stop cancels the warm-ups' waits and waits for their goroutines to end.
// The fetches they started are their sources' to end (Source.close).
func (w *warmer) stop() {
	w.cancel()
	w.wg.Wait()
}
