package plugin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/internal/wire"
)

// buildPlugin compiles the main package pkg and returns its path, named name.
func buildPlugin(t *testing.T, pkg, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// symphonyBinary is a real provider built with this SDK.
func symphonyBinary(t *testing.T) string {
	t.Helper()
	return buildPlugin(t, "../plugins/symphony/cmd/tokenplug-symphony", "tokenplug-symphony")
}

func TestServe(t *testing.T) {
	bin := symphonyBinary(t)

	t.Run("describe prints the schema as JSON and nothing else", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, "describe")
		cmd.Env = []string{}
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v; stderr: %s", err, stderr.Bytes())
		}
		var d describeJSON
		dec := json.NewDecoder(&stdout)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("stdout is not the schema JSON: %v", err)
		}
		if dec.More() {
			t.Fatal("stdout has more after the schema JSON")
		}
		if d.Name != "symphony" || d.Version == "" || d.ProtocolVersion != ProtocolVersion {
			t.Fatalf("describe: %+v", d)
		}
		if !slices.Equal(d.DefaultHosts, []string{"*.symphony.com"}) {
			t.Errorf("describe: default_hosts %q, want [*.symphony.com]", d.DefaultHosts)
		}
		keys := map[string]settingJSON{}
		for _, s := range d.Settings {
			keys[s.Key] = s
		}
		if !keys["private_key"].Secret || !keys["public_key_name"].Required || keys["lifetime"].Default != "25m" {
			t.Fatalf("settings: %+v", d.Settings)
		}
	})

	t.Run("a plugin started by a host of another version says so in its log", func(t *testing.T) {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(c, bin)
		cmd.Env = []string{wire.Handshake.MagicCookieKey + "=" + wire.Handshake.MagicCookieValue, hostVersionsEnv + "=7,8"}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		// The warning is the plugin's first line of output.
		line, err := bufio.NewReader(stderr).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if want := "speaks tokenplug plugin protocol 1 but the host accepts only 7,8"; !strings.Contains(line, want) {
			t.Fatalf("stderr %q does not contain %q", line, want)
		}
	})
}

func TestVersionMismatchIsQuietWhenTheHostSpeaksOurVersion(t *testing.T) {
	for _, v := range []string{"", "1", "3,1", " 1 "} {
		if msg := versionMismatch(v); msg != "" {
			t.Errorf("%q: %s", v, msg)
		}
	}
	if msg := versionMismatch("2"); !strings.Contains(msg, "protocol 1 but the host accepts only 2") {
		t.Errorf("mismatch: %q", msg)
	}
}
