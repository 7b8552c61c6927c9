//go:build unix

package hostconfig_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/hostconfig"
)

// otherUID is a second local user, set on files with os.Chown: the tests
// run as root, which may give a file away.
const otherUID = 4242

// plant writes file in dir with mode, owned by uid (-1: the test's own).
func plant(t *testing.T, dir, name, content string, mode os.FileMode, uid int) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	if uid >= 0 {
		if err := os.Chown(p, uid, -1); err != nil {
			t.Skipf("cannot give a file to uid %d (run the tests as root): %v", uid, err)
		}
	}
	return p
}

// TestFilesAnotherUserCouldWriteAreRefused: a tokenplug.yaml planted in a
// shared directory, or a plugin binary, plugin_dir or *_file it names,
// that another user owns or may write, would run that user's program with
// the reader's environment (as a planted .git/config did, CVE-2022-24765).
// Load refuses it, naming the file, its owner and mode; $TOKENPLUG_TRUST
// is the opt-in. A planted helper must not run: it would write a marker.
func TestFilesAnotherUserCouldWriteAreRefused(t *testing.T) {
	t.Setenv(hostconfig.TrustEnv, "")
	const helper = "#!/bin/sh\ntouch \"$(dirname \"$0\")/ran\"\n"
	provider := "providers:\n  p:\n    plugin: symphony\n"
	tests := []struct {
		name    string
		plant   func(dir string) string // returns the config's path
		refused string                  // the file the error names
		mode    string
	}{
		{"a config owned by another user", func(dir string) string {
			plant(t, dir, "helper.sh", helper, 0o755, -1)
			return plant(t, dir, "tokenplug.yaml", provider+"    path: ./helper.sh\n", 0o644, otherUID)
		}, "tokenplug.yaml", "-rw-r--r--"},
		{"a world-writable config", func(dir string) string {
			plant(t, dir, "helper.sh", helper, 0o755, -1)
			return plant(t, dir, "tokenplug.yaml", provider+"    path: ./helper.sh\n", 0o666, -1)
		}, "tokenplug.yaml", "-rw-rw-rw-"},
		{"a plugin binary owned by another user", func(dir string) string {
			plant(t, dir, "helper.sh", helper, 0o755, otherUID)
			return plant(t, dir, "tokenplug.yaml", provider+"    path: ./helper.sh\n", 0o644, -1)
		}, "helper.sh", "-rwxr-xr-x"},
		{"a group-writable plugin binary", func(dir string) string {
			plant(t, dir, "helper.sh", helper, 0o775, -1)
			return plant(t, dir, "tokenplug.yaml", provider+"    path: ./helper.sh\n", 0o644, -1)
		}, "helper.sh", "-rwxrwxr-x"},
		{"a plugin binary in plugin_dir owned by another user", func(dir string) string {
			plant(t, dir, "tokenplug-symphony", helper, 0o755, otherUID)
			return plant(t, dir, "tokenplug.yaml", "plugin_dir: .\n"+provider, 0o644, -1)
		}, "tokenplug-symphony", "-rwxr-xr-x"},
		{"a world-writable plugin_dir", func(dir string) string {
			bin := filepath.Join(dir, "bin")
			if err := os.Mkdir(bin, 0o777); err != nil || os.Chmod(bin, 0o777) != nil {
				t.Fatal(err)
			}
			return plant(t, dir, "tokenplug.yaml", "plugin_dir: ./bin\n"+provider, 0o644, -1)
		}, "bin", "drwxrwxrwx"},
		{"an exec helper owned by another user", func(dir string) string {
			plant(t, dir, "helper.sh", helper, 0o755, otherUID)
			return plant(t, dir, "tokenplug.yaml", "providers:\n  p:\n    plugin: exec\n    hosts: [127.0.0.1]\n    settings: {command: ./helper.sh --flag}\n", 0o644, -1)
		}, "helper.sh", "-rwxr-xr-x"},
		{"a group-writable exec helper named by a quoted absolute path", func(dir string) string {
			h := plant(t, dir, "my helper.sh", helper, 0o775, -1)
			return plant(t, dir, "tokenplug.yaml", "providers:\n  p:\n    plugin: exec\n    hosts: [127.0.0.1]\n    settings: {command: \"'"+h+"' x\"}\n", 0o644, -1)
		}, "my helper.sh", "-rwxrwxr-x"},
		{"a key file owned by another user", func(dir string) string {
			plant(t, dir, "key.pem", symphonySettings()["private_key"], 0o600, otherUID)
			return plant(t, dir, "tokenplug.yaml", provider+"    settings: {private_key_file: key.pem, public_key_name: a}\n", 0o644, -1)
		}, "key.pem", "-rw-------"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath := tt.plant(dir)
			for _, load := range []func(string) (*hostconfig.Config, error){hostconfig.Load, hostconfig.LoadPartial} {
				cfg, err := load(cfgPath)
				if cfg != nil {
					newRegistry(t, cfg) // would run the helper, if it got this far
				}
				msg := fmtErr(err)
				if !errors.Is(err, hostconfig.ErrUntrusted) || !strings.Contains(msg, filepath.Join(dir, tt.refused)) && !strings.Contains(msg, " "+tt.refused+":") ||
					!strings.Contains(msg, "mode "+tt.mode) || !strings.Contains(msg, hostconfig.TrustEnv) {
					t.Errorf("load = %s; want ErrUntrusted naming %s, its mode %s and $%s", msg, tt.refused, tt.mode, hostconfig.TrustEnv)
				}
				if strings.Contains(tt.name, "another user") && !strings.Contains(msg, "owner uid 4242") {
					t.Errorf("load = %s; want the owner named", msg)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
				t.Fatal("the planted helper ran")
			}
			t.Setenv(hostconfig.TrustEnv, "/nonexistent"+string(filepath.ListSeparator)+dir)
			if _, err := hostconfig.Load(cfgPath); errors.Is(err, hostconfig.ErrUntrusted) {
				t.Errorf("with %s listing the directory: %v", hostconfig.TrustEnv, err)
			}
			t.Setenv(hostconfig.TrustEnv, "")
		})
	}
}
