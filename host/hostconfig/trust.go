package hostconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tokenplug/tokenplug/internal/pathname"
)

// TrustEnv names the environment variable that lists, separated by the
// OS's list separator (":" on Unix), files and directories to use although
// another user owns them or may write them: the opt-in for a deliberately
// shared setup. A listed directory covers everything under it. Use
// absolute paths; "*" trusts every file, as git's safe.directory does.
const TrustEnv = "TOKENPLUG_TRUST"

// ErrUntrusted is the cause of the error Load and LoadPartial return for
// a configuration file, or a plugin binary, plugin_dir, path or *_file it
// names, that another user could have written (see Config).
var ErrUntrusted = errors.New("not owned by you or root, or writable by group or others")

// checkTrusted returns an error naming file (as what), its owner and mode,
// if fi says another user owns it or may write it and TrustEnv does not
// list it; nil otherwise, and always on systems without file owners.
func checkTrusted(what, file string, fi fs.FileInfo) error {
	uid, ok := ownerOf(fi)
	if !ok || (uid == 0 || uid == os.Geteuid()) && fi.Mode().Perm()&0o022 == 0 || trustedByEnv(file) {
		return nil
	}
	return &untrustedError{what: what, file: pathname.Show(file), uid: uid, mode: fi.Mode()}
}

// untrustedError is ErrUntrusted about one file.
type untrustedError struct {
	what, file string
	uid        int
	mode       fs.FileMode
}

func (e *untrustedError) Error() string {
	owner := strconv.Itoa(e.uid)
	if u, err := user.LookupId(owner); err == nil && u.Username != "" {
		owner += " (" + u.Username + ")"
	}
	return fmt.Sprintf("refusing %s %s: owner uid %s, mode %s: %v (another user could run code or take your secrets through it; "+
		"if this shared setup is intended, list it in $%s)", e.what, e.file, owner, e.mode, ErrUntrusted, TrustEnv)
}

func (e *untrustedError) Unwrap() error { return ErrUntrusted }

// trustedByEnv reports whether TrustEnv lists file or a directory above it.
func trustedByEnv(file string) bool {
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	for _, t := range filepath.SplitList(os.Getenv(TrustEnv)) {
		if t == "*" {
			return true
		}
		if t == "" || !filepath.IsAbs(t) {
			continue
		}
		t = filepath.Clean(t)
		if abs == t || strings.HasPrefix(abs, strings.TrimSuffix(t, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// statTrusted stats file and checks it with checkTrusted. A file that
// cannot be stat'ed is left to the caller's own error.
func statTrusted(what, file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return nil
	}
	return checkTrusted(what, file, fi)
}

// checkNamedFiles checks plugin_dir, and the plugin binary each provider
// without a path would run from it, once plugin_dir is resolved.
func (c *Config) checkNamedFiles() error {
	if c.PluginDir == "" {
		return nil
	}
	if err := statTrusted("plugin_dir", c.PluginDir); err != nil {
		return c.errorAt("plugin_dir", err, err)
	}
	var errs []error
	for _, name := range c.Names() {
		if p := c.Providers[name]; p.Path == "" {
			bin := filepath.Join(c.PluginDir, "tokenplug-"+p.Plugin)
			if err := statTrusted("plugin binary", bin); err != nil {
				errs = append(errs, c.errorAt(providerPath(name, "plugin"), err, err))
			}
		}
	}
	return joinErrors(c.File, errs)
}
