package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
)

// pluginDirWith returns a directory whose bin/ holds the separately built
// voicegain plugin as tokenplug-voicegain, and that binary's SHA-256.
func pluginDirWith(t *testing.T) (dir, sum string) {
	t.Helper()
	dir = t.TempDir()
	data, err := os.ReadFile(testbin.Path("voicegain"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "tokenplug-voicegain"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return dir, hex.EncodeToString(h[:])
}

const voicegainJWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.c2ln"

func TestAPinnedPluginDirPluginRunsInsteadOfTheBuiltin(t *testing.T) {
	dir, sum := pluginDirWith(t)
	writeFile(t, dir, "tokenplug.yaml", "plugin_dir: bin\nproviders:\n  vg:\n    plugin: voicegain\n    sha256: "+sum+"\n    settings: {jwt: "+voicegainJWT+"}\n")
	r := tp(t, dir, nil, "token", "vg", "--raw", "--no-cache")
	if r.code != 0 || strings.TrimSpace(r.stdout) != voicegainJWT {
		t.Fatalf("status %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	p := tp(t, dir, nil, "plugins")
	if !hasRow(p.stdout, "vg", "voicegain", "runs "+filepath.Join(dir, "bin", "tokenplug-voicegain")+" (plugin_dir)") {
		t.Errorf("plugins does not show the binary vg runs:\n%s", p.stdout)
	}
	if !strings.Contains(p.stdout, "built-in, shadowed by the one above") {
		t.Errorf("plugins does not show the built-in shadowed:\n%s", p.stdout)
	}
}

func TestConfigurationErrorsExit2InEveryCommand(t *testing.T) {
	dir, sum := pluginDirWith(t)
	bad := strings.Repeat("0", 64)
	writeFile(t, dir, "wrongpin.yaml", "plugin_dir: bin\nproviders:\n  vg:\n    plugin: voicegain\n    sha256: "+bad+"\n    hosts: [a.test]\n    settings: {jwt: x}\n")
	writeFile(t, dir, "nobinary.yaml", "providers:\n  vg:\n    plugin: nosuch\n    hosts: [a.test]\n")
	// A pin names a separate binary: the built-in is not a match for it.
	writeFile(t, dir, "pinnedbuiltin.yaml", "providers:\n  vg:\n    plugin: voicegain\n    sha256: "+sum+"\n    hosts: [a.test]\n    settings: {jwt: x}\n")
	writeFile(t, dir, "undeclared.yaml", "providers:\n  vg:\n    plugin: voicegain\n    hosts: [a.test]\n    settings: {jwt: x, colour: blue}\n")
	for _, tt := range []struct{ file, want string }{
		{"wrongpin.yaml", "does not match its sha256 pin"},
		{"nobinary.yaml", `plugin "nosuch" not found`},
		{"pinnedbuiltin.yaml", "the built-in is not used"},
		{"undeclared.yaml", `"colour": unknown setting`},
	} {
		for _, args := range [][]string{{"token", "vg", "--no-cache"}, {"check"}, {"get", "https://a.test/"}} {
			r := tp(t, dir, nil, append([]string{"--config", tt.file}, args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%s %q: status %d, want 2 and %q; stderr %s", tt.file, args, r.code, tt.want, r.stderr)
			}
		}
	}
}

func TestAnUnsetVariableBlocksOnlyItsProvider(t *testing.T) {
	dir, _ := pluginDirWith(t)
	writeFile(t, dir, "tokenplug.yaml", `providers:
  a:
    plugin: voicegain
    settings: {jwt: "${TP_B}${TP_A}"}
  b:
    plugin: voicegain
    hosts: [127.0.0.1]
    settings: {jwt: `+voicegainJWT+`}
  c:
    plugin: symphony
    settings: {private_key_file: "${TP_C}", public_key_name: x}
`)
	if r := tp(t, dir, nil, "token", "b", "--raw"); r.code != 0 || strings.TrimSpace(r.stdout) != voicegainJWT {
		t.Fatalf("token b: status %d, stderr %s", r.code, r.stderr)
	}
	r := tp(t, dir, nil, "token", "a")
	r.wantError(t, 2, "tokenplug.yaml:4: providers.a.settings.jwt: environment variables TP_B, TP_A are not set")
	r = tp(t, dir, nil, "check")
	if r.code != 2 || !hasRow(r.stdout, "b", "voicegain") || !strings.Contains(r.stderr, "TP_B, TP_A") || !strings.Contains(r.stderr, "TP_C is not set") ||
		strings.Index(r.stderr, "TP_A") > strings.Index(r.stderr, "TP_C") {
		t.Errorf("check: status %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestPluginsWorksWithoutAValidConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "tokenplug.yaml", "providers:\n  a:\n    plugin: iam\n   hosts: [x]\n")
	r := tp(t, dir, nil, "plugins")
	if r.code != 0 || !strings.Contains(r.stdout, "iam 0.1.0 (built-in)") ||
		!strings.Contains(r.stderr, "warning: configuration not used: tokenplug: config tokenplug.yaml:4:") {
		t.Errorf("status %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

func TestFileSettingsResolveAgainstTheConfigFile(t *testing.T) {
	dir := symphonyDir(t, `"127.0.0.1"`, "")
	elsewhere := t.TempDir()
	cfg := filepath.Join(dir, "tokenplug.yaml")
	r := tp(t, elsewhere, nil, "--config", cfg, "token", "sym", "--raw", "--no-cache")
	if r.code != 0 {
		t.Fatalf("run from another directory: status %d: %s", r.code, r.stderr)
	}
	verifySymphony(t, strings.TrimSpace(r.stdout))

	r = tp(t, elsewhere, []string{"KEY_FILE=keys/nope.pem"}, "--config", cfg, "token", "sym")
	r.wantError(t, 2, "providers.sym.settings.private_key_file: "+filepath.Join(dir, "keys", "nope.pem")+": no such file or directory")
}

func TestCheckWarnsAboutAnyHostShowsNeverAndAFailedPluginsVersion(t *testing.T) {
	dir, _ := pluginDirWith(t)
	writeFile(t, dir, "tokenplug.yaml", `plugin_dir: bin
providers:
  anywhere:
    plugin: voicegain
    hosts: ["*"]
    settings: {jwt: `+voicegainJWT+`}
  broken:
    plugin: voicegain
    hosts: [a.test]
    settings: {jwt: x, mode: nonsense}
`)
	r := tp(t, dir, nil, "check")
	if !hasRow(r.stdout, "anywhere", "voicegain", "0.1.0", "never", "* (configured)", "ok") {
		t.Errorf("no ok row with expiry never:\n%s", r.stdout)
	}
	if !hasRow(r.stdout, "broken", "voicegain", "0.1.0", "-", "-", "FAILED") {
		t.Errorf("the failed provider's row lacks its plugin's version:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, `warning: provider "anywhere" sends its token to any host (hosts: ["*"], tokenplug.yaml:5)`) {
		t.Errorf("no warning about hosts: [\"*\"]:\n%s", r.stderr)
	}
}
