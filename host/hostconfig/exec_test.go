package hostconfig_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/hostconfig"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// writeConfig writes yaml as tokenplug.yaml in a new directory and loads it.
func writeConfig(t *testing.T, yaml string, files map[string]string) (*hostconfig.Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "tokenplug.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := hostconfig.Load(path)
	return cfg, dir, err
}

func TestExecProvidersGetTheValuesOfTheVariablesTheyListAndTheFilesDirectory(t *testing.T) {
	t.Setenv("EXEC_CFG_LISTED", "listed-value")
	t.Setenv("EXEC_CFG_OTHER", "other-value")
	_, dir, err := writeConfig(t, `providers:
  listed:
    plugin: exec
    settings:
      command: ./helper.sh
      env: EXEC_CFG_LISTED, EXEC_CFG_UNSET
  plain:
    plugin: exec
    settings:
      command: ./helper.sh
      dir: sub
`, nil)
	if err == nil {
		t.Fatal("a dir that does not exist was accepted")
	}
	if !strings.Contains(err.Error(), "providers.plain.settings.dir") {
		t.Errorf("error %q does not name providers.plain.settings.dir", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, err := hostconfig.Load(filepath.Join(dir, "tokenplug.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	listed, plain := cfg.Providers["listed"].Settings, cfg.Providers["plain"].Settings
	var values map[string]string
	if err := json.Unmarshal([]byte(listed["env_values"]), &values); err != nil || len(values) != 1 || values["EXEC_CFG_LISTED"] != "listed-value" {
		t.Errorf("env_values = %v (%v), want EXEC_CFG_LISTED's value alone", values, err)
	}
	if real, _ := filepath.Abs(dir); listed["dir"] != real || plain["dir"] != filepath.Join(real, "sub") {
		t.Errorf("dirs %q and %q, want the file's directory and its sub", listed["dir"], plain["dir"])
	}
	if _, ok := plain["env_values"]; ok {
		t.Error("a provider listing no variables got env_values")
	}
}

func TestExecEnvValuesCannotBeWrittenInTheFile(t *testing.T) {
	_, _, err := writeConfig(t, "providers:\n  p:\n    plugin: exec\n    settings:\n      command: x\n      env_values: '{\"A\":\"b\"}'\n", nil)
	if err == nil || !strings.Contains(err.Error(), "providers.p.settings.env_values") || !strings.Contains(err.Error(), "list the variables' names in env") {
		t.Errorf("error %v: want one naming env_values and saying to use env", err)
	}
}

// Through the real exec plugin: a variable of the application reaches the
// helper when env lists it, and not otherwise.
func TestAnExecHelperSeesAnApplicationVariableOnlyWhenListed(t *testing.T) {
	t.Setenv("EXEC_CFG_LISTED", "listed")
	t.Setenv("EXEC_CFG_OTHER", "other")
	cfg, _, err := writeConfig(t, `providers:
  listed:
    plugin: exec
    path: `+testbin.Path("exec")+`
    hosts: [api.example.com]
    settings: {command: ./helper.sh, env: EXEC_CFG_LISTED}
  unlisted:
    plugin: exec
    path: `+testbin.Path("exec")+`
    hosts: [api.example.com]
    settings: {command: ./helper.sh}
`, map[string]string{"helper.sh": "#!/bin/sh\necho \"tok-${EXEC_CFG_LISTED:-unset}-${EXEC_CFG_OTHER:-unset}\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t, cfg)
	for name, want := range map[string]string{"listed": "tok-listed-unset", "unlisted": "tok-unset-unset"} {
		tok, err := reg.Token(context.Background(), name)
		if err != nil || tok.AccessToken != want {
			t.Errorf("%s: token %v, error %v; want %s", name, tok, err, want)
		}
	}
}
