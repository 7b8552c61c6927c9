package hostconfig_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/hostconfig"
)

const twoProviders = `providers:
  a:
    plugin: iam
    settings:
      apikey: ${TP_UNSET_B}-${TP_UNSET_A}
      token_url: ${TP_UNSET_C:-https://iam.test/token}
  b:
    plugin: voicegain
    settings:
      jwt: ${TP_SET}
  c:
    plugin: symphony
    settings:
      private_key_file: keys/missing.pem
`

func TestUnsetVariablesAreAllNamedInTheFilesOrder(t *testing.T) {
	t.Setenv("TP_SET", "x")
	_, err := hostconfig.Parse(strings.NewReader(twoProviders), "t.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	want := []string{
		"t.yaml:5: providers.a.settings.apikey: environment variables TP_UNSET_B, TP_UNSET_A are not set",
		"t.yaml:14: providers.c.settings.private_key_file: " + filepath.Join(absDir(t), "keys", "missing.pem") + ": no such file or directory",
	}
	last := -1
	for _, w := range want {
		i := strings.Index(msg, w)
		if i < 0 || i < last {
			t.Errorf("error %q does not hold %q after the previous one", msg, w)
		}
		last = i
	}
}

func absDir(t *testing.T) string {
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParsePartialLeavesOutOnlyTheProvidersThatNeedWhatIsMissing(t *testing.T) {
	t.Setenv("TP_SET", "x")
	cfg, err := hostconfig.ParsePartial(strings.NewReader(twoProviders), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Names(); len(got) != 1 || got[0] != "b" {
		t.Errorf("providers %v, want [b]", got)
	}
	if len(cfg.Unavailable) != 2 || !strings.Contains(cfg.Unavailable["a"].Error(), "TP_UNSET_B, TP_UNSET_A") ||
		!strings.Contains(cfg.Unavailable["c"].Error(), "missing.pem") {
		t.Errorf("unavailable %v", cfg.Unavailable)
	}
	// Any other problem still fails the file.
	if _, err := hostconfig.ParsePartial(strings.NewReader(twoProviders+"    bogus: 1\n"), "t.yaml"); err == nil {
		t.Error("an unknown key did not fail ParsePartial")
	}
}

func TestFileSettingsResolveAgainstTheConfigsDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"keys/k.pem", "bin/tokenplug-x"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "tokenplug.yaml")
	os.WriteFile(path, []byte("providers:\n  s:\n    plugin: symphony\n    path: bin/tokenplug-x\n    settings:\n      private_key_file: keys/k.pem\n      name: keys/k.pem\n"), 0o600)
	cfg, err := hostconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers["s"]
	if got := p.Settings["private_key_file"]; got != filepath.Join(dir, "keys", "k.pem") {
		t.Errorf("private_key_file %q", got)
	}
	if got := p.Settings["name"]; got != "keys/k.pem" {
		t.Errorf("a setting not ending in _file changed: %q", got)
	}
	if p.Path != filepath.Join(dir, "bin", "tokenplug-x") {
		t.Errorf("path %q", p.Path)
	}
	if len(cfg.Unavailable) != 0 {
		t.Errorf("unavailable %v", cfg.Unavailable)
	}
}
