package host

import (
	"github.com/tokenplug/tokenplug/internal/redact"
	"github.com/tokenplug/tokenplug/plugin"
)

// What is scrubbed of whose secrets. A provider's errors, and the log
// lines its plugin tags with its instance, are scrubbed of that provider's
// secrets only (process.red): scrubbed of every provider's, a tenant whose
// setting quotes guesses of another tenant's key would learn which guess
// was right from the one that came back masked. What belongs to no one
// provider (the plugin process's stdout, stderr and untagged log lines) is
// scrubbed of every provider's secrets (pluginProc.red), all with the same
// mask, so nothing tells whose secret matched.

// recordSecrets records p's secret setting values, the configured ones
// and those of each settings update given (see process.secrets): in p's own
// redactor and on pp, for the lines no one provider owns. It warns, once per
// provider, about a value too short to be redacted safely (see
// redact.TooShort). p.mu is held.
func (p *process) recordSecrets(pp *pluginProc, desc plugin.Description, updates ...map[string]string) {
	secrets := p.secrets(desc, updates...)
	p.red.set(secrets)
	pp.setSecrets(p, secrets)
	if p.warned {
		return
	}
	p.warned = true
	for _, s := range desc.Settings {
		if s.Secret && redact.TooShort(p.cfg.Settings[s.Key]) {
			// Never the value: it is masked only where it stands alone.
			p.log.Warn("secret setting too short to redact safely", "setting", s.Key, "min_length", redact.MinLen)
		}
	}
}
