package host

import (
	"log/slog"

	"github.com/tokenplug/tokenplug/internal/wire"
)

// Whose a plugin's log line is. The SDK tags a line a provider logged for
// one instance with wire.InstanceLogKey; the host logs it as that
// provider's (provider=NAME, scrubbed of its secrets only). Any other line
// (untagged, stdout, stderr, go-plugin's own) is the process's: it names
// the plugin and how many providers it serves (providers=N), and is
// scrubbed of all their secrets.

// setID records that p's instance on the plugin is id. p.mu is held.
func (pp *pluginProc) setID(p *process, id string) {
	pp.secretsMu.Lock()
	defer pp.secretsMu.Unlock()
	pp.forgetID(p)
	if id != "" {
		pp.ids[p], pp.byID[id] = id, p
	}
}

// forgetID drops p's instance id. pp.secretsMu is held.
func (pp *pluginProc) forgetID(p *process) {
	if id, ok := pp.ids[p]; ok {
		delete(pp.byID, id)
		delete(pp.ids, p)
	}
}

// lineOwner returns the logger and the scrubber for a line tagged with
// instance id: its provider's, or, for "" or an id no provider has, the
// process's.
func (pp *pluginProc) lineOwner(id string) (*slog.Logger, *redactor) {
	pp.secretsMu.Lock()
	p := pp.byID[id]
	n := len(pp.secrets)
	pp.secretsMu.Unlock()
	if id != "" && p != nil {
		return p.log, &p.red
	}
	return pp.log.With("providers", n), pp.red
}

// instanceOf removes the instance tag from a line's attributes (key,
// value pairs) and returns its value ("" if none).
func instanceOf(args []any) (string, []any) {
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok && k == wire.InstanceLogKey {
			id, _ := args[i+1].(string)
			return id, append(args[:i:i], args[i+2:]...)
		}
	}
	return "", args
}
