package plugin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

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
		if !keys["private_key"].Secret || !keys["public_key_name"].Required || keys["lifetime"].Default != "30m" {
			t.Fatalf("settings: %+v", d.Settings)
		}
	})

	t.Run("a host of this release completes the handshake", func(t *testing.T) {
		client := hostClient(bin)
		defer client.Kill()
		rpc, err := client.Client()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := rpc.Dispense(PluginKey)
		if err != nil {
			t.Fatal(err)
		}
		d, err := raw.(*Client).Describe(ctx(t))
		if err != nil || d.Name != "symphony" {
			t.Fatalf("describe over the plugin connection: %+v, %v", d, err)
		}
	})

	t.Run("a plugin started by a host of another version says so in its log", func(t *testing.T) {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(c, bin)
		cmd.Env = []string{Handshake.MagicCookieKey + "=" + Handshake.MagicCookieValue, hostVersionsEnv + "=7,8"}
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
