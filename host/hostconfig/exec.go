package hostconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/tokenplug/tokenplug/host"
)

// The exec provider's settings that the file's reader fills in (see
// plugins/exec): the helper gets, besides PATH and HOME, only the
// environment variables its env setting names, with the application's
// values. Plugins run with a clean environment, so those values travel
// the way secrets do: in a secret setting (env_values, a JSON object),
// never logged, never in an error, and part of the token cache's key.
const (
	execPlugin    = "exec"
	execEnv       = "env"
	execEnvValues = "env_values"
	execDir       = "dir"
)

// execSettings completes an exec provider's settings: env_values from the
// environment for the names env lists, and dir (default: the file's
// directory).
func (d *decoder) execSettings(p *host.ProviderConfig, path string) {
	if p.Plugin != execPlugin {
		return
	}
	if p.Settings == nil {
		p.Settings = map[string]string{}
	}
	if p.Settings[execDir] == "" {
		p.Settings[execDir] = filepath.Dir(absPath(d.cfg.File))
	}
	spath := join(path, "settings")
	if _, ok := p.Settings[execEnvValues]; ok {
		d.fail(join(spath, execEnvValues), "is filled in from the environment: list the variables' names in env instead")
		return
	}
	values := map[string]string{}
	for _, name := range strings.FieldsFunc(p.Settings[execEnv], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if v, ok := os.LookupEnv(name); ok {
			values[name] = v
		}
	}
	if len(values) > 0 {
		b, _ := json.Marshal(values) // a map of strings always marshals
		p.Settings[execEnvValues] = string(b)
	}
}

// isDirSetting reports whether a setting names a directory (dir, or a key
// ending in _dir), resolved like a *_file setting.
func isDirSetting(key string) bool { return key == execDir || strings.HasSuffix(key, "_dir") }
