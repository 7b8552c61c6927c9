package host

import (
	"context"
	"crypto/cipher"
	"maps"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/internal/seal"
	"github.com/tokenplug/tokenplug/plugin"
)

// A provider's token may carry a settings update (plugin.WithSettingsUpdate:
// a rotated refresh token, say): settings the host keeps, over the
// configured ones, and hands back in every later Configure of the
// provider's instance, so that what the provider rotated survives a plugin
// restart. With a shared cache that keeps settings (SettingsCache), it
// survives the process too: the next process with the same configuration
// (the next CLI call, another replica) starts from it.
//
// The update lives sealed in memory (AES-GCM under a key of the
// registry's), its values are scrubbed like the provider's other secrets,
// and it never reaches the callers of Source.Token: keep strips it from
// the token.

// keptUpdate is a provider's settings update, as the host keeps it.
// process.mu guards it.
type keptUpdate struct {
	sealed []byte // seal.Settings under options.memory; nil: none
	gen    uint64 // its generation (0: none)
	onGen  uint64 // the generation the provider's current instance holds
}

// memoryAD binds a provider's sealed update to its name.
func memoryAD(name string) string { return "provider " + name }

// update returns the kept update, opened (nil: none). p.mu is held.
func (p *process) update() map[string]string {
	if p.kept.sealed == nil {
		return nil
	}
	s, err := seal.OpenSettings(p.o.memory, memoryAD(p.name), p.kept.sealed)
	if err != nil {
		// Sealed by this very process under its own key: never.
		p.log.Error("kept settings update does not open; configuring with the configured settings", "error", err)
		return nil
	}
	return s.Settings
}

// keep records update as generation gen. p.mu is held.
func (p *process) keepUpdate(update map[string]string, gen uint64) error {
	b, err := seal.SealSettings(p.o.memory, memoryAD(p.name), seal.Settings{Gen: gen, Settings: update})
	if err != nil {
		return err
	}
	p.kept.sealed, p.kept.gen = b, gen
	return nil
}

// settingsWith returns what the provider's instance is configured with:
// the configured settings with upd, the kept update, over them.
func (p *process) settingsWith(upd map[string]string) map[string]string {
	if upd == nil {
		return p.cfg.Settings
	}
	out := maps.Clone(p.cfg.Settings)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, upd)
	return out
}

// secrets returns the secret values the plugin's output and errors are
// scrubbed of for this provider: the configured ones and those of each
// update given (the current one, and the one it replaced: the plugin may
// still name a spent refresh token). Never nil: nil would forget the
// provider.
func (p *process) secrets(d plugin.Description, updates ...map[string]string) []string {
	out := append([]string{}, launch.SecretValues(d, p.cfg.Settings)...)
	for _, u := range updates {
		out = append(out, launch.SecretValues(d, u)...)
	}
	return out
}

// keep takes the settings update off tok, a token the provider's instance
// id on inst just returned, and keeps it: in memory, and in the shared
// cache if it keeps settings. It returns tok without the update. An update
// that names a setting the plugin does not declare is refused, naming it,
// and not applied: the fetch fails.
func (p *process) keep(ctx context.Context, pp *pluginProc, inst *instance, tok *oauth2.Token) (*oauth2.Token, error) {
	upd := plugin.SettingsUpdateOf(tok)
	if tok.Extra(tokenplug.ExtraSettingsUpdate) == nil {
		return tok, nil
	}
	tok = withoutUpdate(tok)
	if len(upd) == 0 {
		return tok, nil
	}
	if err := plugin.CheckSettingsUpdate(inst.desc, upd); err != nil {
		return nil, p.red.redactErr(err)
	}
	p.mu.Lock()
	prev := p.update()
	merged := maps.Clone(prev)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, upd)
	gen := p.kept.gen + 1
	err := p.keepUpdate(merged, gen)
	if err == nil && p.on == inst {
		p.kept.onGen = gen // the instance made it: it holds it already
	}
	if err == nil {
		p.recordSecrets(pp, inst.desc, prev, merged)
	}
	p.mu.Unlock()
	if err != nil {
		return nil, tokenplug.Temporary(errorString("tokenplug: keep the settings update: " + err.Error()))
	}
	p.log.Debug("provider updated its settings; kept for its next configuration", "generation", gen)
	p.storeShared(ctx, gen, merged)
	return tok, nil
}

// withoutUpdate returns tok without its settings update extra: what the
// provider asked the host to keep (a refresh token) is no business of the
// application's.
func withoutUpdate(tok *oauth2.Token) *oauth2.Token {
	out := &oauth2.Token{AccessToken: tok.AccessToken, TokenType: tok.TokenType, Expiry: tok.Expiry}
	extra := map[string]any{}
	if h := tokenplug.HeaderOf(tok); h != "" {
		extra[tokenplug.ExtraHeader] = h
	}
	if at := tokenplug.RefreshAtOf(tok); !at.IsZero() {
		extra[tokenplug.ExtraRefreshAt] = at
	}
	return out.WithExtra(extra)
}

// storeShared writes the update to the shared cache, if it keeps settings.
// A caller that gave up does not stop it: the rotated value must outlive
// the spent one. Trouble is logged, never a failed fetch: this process
// goes on with the update it keeps in memory.
func (p *process) storeShared(ctx context.Context, gen uint64, update map[string]string) {
	if p.shared == nil {
		return
	}
	if err := p.shared.StoreSettings(context.WithoutCancel(ctx), p.cacheKey, gen, update); err != nil {
		p.log.Warn("settings update not stored in the shared cache; other processes start from the configured settings", "error", err)
	}
}

// adopt takes the shared cache's update for the provider's configuration
// if it is newer than the one kept here (another process, or an earlier
// CLI call, rotated it), before a fetch: the instance is then configured
// again with it. It reports whether it took one.
func (p *process) adopt(ctx context.Context) bool {
	if p.shared == nil {
		return false
	}
	gen, upd, err := p.shared.Settings(ctx, p.cacheKey)
	if err != nil {
		p.log.Warn("settings update not read from the shared cache; fetching with the one kept here", "error", err)
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen <= p.kept.gen || len(upd) == 0 {
		return false
	}
	if err := p.keepUpdate(upd, gen); err != nil {
		p.log.Warn("settings update from the shared cache not kept", "error", err)
		return false
	}
	p.log.Debug("adopted a newer settings update from the shared cache", "generation", gen)
	return true
}

// newMemoryKey returns the AEAD a registry seals kept settings updates
// with. crypto/rand does not fail on supported platforms.
func newMemoryKey() cipher.AEAD {
	aead, err := seal.NewMemoryKey()
	if err != nil {
		panic("tokenplug: memory key: " + err.Error())
	}
	return aead
}
