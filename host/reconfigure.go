package host

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// reconfigureParallel bounds the Configure calls in flight when a
// restarted plugin gets its instances back.
const reconfigureParallel = 16

// reconfigureAll configures every provider that was configured on the
// plugin before it restarted on inst, the new plugin, without waiting for
// their next fetch. Until then their cached tokens keep serving.
func (pp *pluginProc) reconfigureAll(inst *instance) {
	pp.secretsMu.Lock()
	members := slices.Collect(maps.Keys(pp.secrets)) // the providers configured on it
	pp.secretsMu.Unlock()
	pp.log.Info("plugin restarted; configuring its providers again", "providers", len(members))
	sem := make(chan struct{}, reconfigureParallel)
	var wg sync.WaitGroup
	for _, p := range members {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p.reconfigure(pp, inst)
		})
	}
	wg.Wait()
}

// reconfigure configures the provider on inst, a restarted plugin that
// serves many instances, if it still belongs to pp and is not configured
// there yet. (A single-instance plugin serves one provider, which
// configures it again on its next fetch.)
func (p *process) reconfigure(pp *pluginProc, inst *instance) {
	if !inst.multi {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.pp != pp || p.on == inst || inst.client.Exited() {
		return
	}
	if _, err := p.configure(context.Background(), pp, inst); err != nil {
		p.log.Warn("configuring the provider on the restarted plugin failed; its next fetch tries again", "error", err)
	}
}
