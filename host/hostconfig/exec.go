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
	execCommand   = "command"
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
	if prog := commandPath(p.Settings[execCommand], p.Settings[execDir]); prog != "" {
		// The helper is a program the file makes us run, as a plugin
		// binary is: the same ownership rule (see checkTrusted).
		if err := statTrusted("exec command", prog); err != nil {
			d.errs = append(d.errs, d.cfg.errorAt(join(spath, execCommand), err, err))
		}
	}
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

// commandPath returns the program of an exec command line when it is
// named by a path (it has a slash), resolved against dir; "" for a name
// looked up on PATH, or a line whose first word cannot be read (the
// provider reports that). The first word is read as plugins/exec splits
// it, for the forms a path takes: bare, or in single or double quotes.
func commandPath(line, dir string) string {
	line = strings.TrimLeft(line, " \t")
	var word string
	switch {
	case line == "":
		return ""
	case line[0] == '\'' || line[0] == '"':
		end := strings.IndexByte(line[1:], line[0])
		if end < 0 {
			return ""
		}
		word = line[1 : 1+end]
	default:
		word, _, _ = strings.Cut(line, " ")
		word, _, _ = strings.Cut(word, "\t")
		if strings.ContainsAny(word, "\\'\"") {
			return "" // escapes or quotes inside a word: leave it to the provider
		}
	}
	if !strings.Contains(word, "/") {
		return ""
	}
	if !filepath.IsAbs(word) {
		word = filepath.Join(dir, word)
	}
	return word
}
