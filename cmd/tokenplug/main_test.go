package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
)

// TestMain builds the CLI under test ("cli") and, for plugin_dir and
// $PATH discovery, separately built provider plugins: voicegain, and fault,
// a plugin that declares no default hosts.
func TestMain(m *testing.M) {
	pkgs := testbin.Plugins("voicegain", "fault", "rotate")
	pkgs["cli"] = "."
	testbin.Main(m, pkgs)
}

// result is what a run of the binary showed the user.
type result struct {
	stdout, stderr string
	code           int
}

// tp runs the built tokenplug in dir with a clean environment plus env
// ("K=V"), and returns what it printed and its exit status.
func tp(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(testbin.Path("cli"), args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "PATH=" + filepath.Join(dir, "no-such-dir")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run tokenplug %q: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// wantError checks the exit status and that stderr is one line containing
// each of want.
func (r result) wantError(t *testing.T, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
	if n := strings.Count(r.stderr, "\n"); n != 1 {
		t.Errorf("stderr has %d lines, want 1:\n%s", n, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not contain %q", r.stderr, w)
		}
	}
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// customerKey is the Symphony customer's RSA key for tests that sign.
var customerKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

// symphonyDir returns a directory holding the customer key and a
// tokenplug.yaml with the extra YAML appended under providers.
func symphonyDir(t *testing.T, hosts string, extra string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "key.pem", string(customerKeyPEM(customerKey)))
	writeFile(t, dir, "tokenplug.yaml", `providers:
  sym:
    plugin: symphony
    hosts: [`+hosts+`]
    settings:
      private_key_file: ${KEY_FILE:-key.pem}
      public_key_name: acme
`+extra)
	return dir
}

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	dir := symphonyDir(t, `"127.0.0.1"`, "")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no command", nil, []string{"no command given"}},
		{"unknown command", []string{"frobnicate"}, []string{`unknown command "frobnicate"`}},
		{"missing argument", []string{"token"}, []string{"token: missing NAME"}},
		{"extra argument", []string{"token", "a", "b"}, []string{`unexpected argument "b"`}},
		{"unknown flag", []string{"token", "sym", "--bogus"}, []string{"token:", "-bogus", "tokenplug help token"}},
		{"exclusive flags", []string{"token", "sym", "--raw", "--header"}, []string{"exclude each other"}},
		{"help for an unknown command", []string{"help", "nope"}, []string{`unknown command "nope"`}},
		{"get with a bad URL", []string{"get", "ftp://x"}, []string{`"ftp://x" is not an http or https URL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tp(t, dir, nil, tt.args...)
			if r.code != 2 {
				t.Fatalf("exit status %d, want 2; stderr: %s", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not contain %q", r.stderr, w)
				}
			}
			if last := strings.TrimSuffix(r.stderr, "\n"); strings.Contains(last[strings.LastIndex(last, "\n")+1:], "\n") {
				t.Errorf("error spans lines: %q", r.stderr)
			}
		})
	}
}

func TestEveryCommandHasHelpWithAnExample(t *testing.T) {
	dir := t.TempDir()
	top := tp(t, dir, nil, "--help")
	if top.code != 0 || !strings.Contains(top.stdout, "Exit status: 0 ok, 1 failure, 2 usage or configuration error") {
		t.Fatalf("tokenplug --help: status %d\n%s", top.code, top.stdout)
	}
	for _, name := range []string{"token", "get", "check", "plugins", "demo", "help"} {
		if !strings.Contains(top.stdout, "  "+name+" ") {
			t.Errorf("tokenplug --help does not list %s", name)
		}
		for _, args := range [][]string{{"help", name}, {name, "--help"}} {
			r := tp(t, dir, nil, args...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("tokenplug %q: status %d, stderr %q", args, r.code, r.stderr)
			}
			for _, w := range []string{"Usage: tokenplug " + name, "Example", "Flags:", "-config"} {
				if !strings.Contains(r.stdout, w) && (name != "demo" || w != "-config") {
					t.Errorf("tokenplug %q does not show %q:\n%s", args, w, r.stdout)
				}
			}
			if name == "demo" && strings.Contains(r.stdout, "\n  -config") {
				t.Errorf("demo advertises -config, which it ignores:\n%s", r.stdout)
			}
		}
	}
}

func TestConfigErrorsExit2NamingWhatIsWrong(t *testing.T) {
	dir := symphonyDir(t, `"127.0.0.1"`, "")
	writeFile(t, dir, "unknown-key.yaml", "providers:\n  sym:\n    plugin: symphony\n    setting: {}\n")
	writeFile(t, dir, "unset-var.yaml", "providers:\n  w:\n    plugin: iam\n    settings:\n      apikey: ${IBM_APIKEY}\n")
	writeFile(t, dir, "bad-setting.yaml", "providers:\n  s:\n    plugin: symphony\n    settings:\n      public_key_name: a\n      private_key: SECRET-NOT-A-KEY\n      colour: blue\n")
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"missing default config", nil, []string{"check", "--config", missing}, []string{"config " + missing + ": no such file or directory"}},
		{"missing config from the environment", []string{"TOKENPLUG_CONFIG=" + missing}, []string{"check"}, []string{missing}},
		{"unknown key", nil, []string{"check", "--config", "unknown-key.yaml"}, []string{"unknown-key.yaml:4:", `providers.sym: unknown key "setting"`}},
		{"unset variable", nil, []string{"--config", "unset-var.yaml", "token", "w"}, []string{"unset-var.yaml:5: providers.w.settings.apikey: environment variable IBM_APIKEY is not set"}},
		{"unknown provider", nil, []string{"token", "nope"}, []string{`unknown provider "nope"`, "tokenplug.yaml has sym"}},
		{"undeclared setting", nil, []string{"token", "s", "--config=bad-setting.yaml"}, []string{`provider "s"`, `"colour": unknown setting`, "bad-setting.yaml:7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tp(t, dir, tt.env, tt.args...)
			r.wantError(t, 2, tt.want...)
			if strings.Contains(r.stderr, "SECRET") {
				t.Errorf("stderr holds a secret value: %s", r.stderr)
			}
		})
	}
	t.Run("no config anywhere", func(t *testing.T) {
		r := tp(t, t.TempDir(), nil, "check")
		r.wantError(t, 2, "config tokenplug.yaml: no such file or directory", "--config", "$TOKENPLUG_CONFIG")
	})
}
