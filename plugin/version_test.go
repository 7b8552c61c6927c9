package plugin

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// buildPlugin compiles the main package pkg into dir and returns its path.
func buildPlugin(t *testing.T, pkg, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// hostClient returns a go-plugin client configured as host/process.go's
// newClient configures it (that package may not be imported from here).
func hostClient(path string) *goplugin.Client {
	cmd := exec.Command(path)
	cmd.Env = []string{}
	return goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: PluginSets(nil),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.Discard}),
	})
}

func TestAPluginBuiltForAnotherProtocolVersionIsRefusedNamingBoth(t *testing.T) {
	bin := buildPlugin(t, "./testdata/v2plugin", "tokenplug-future")
	client := hostClient(bin)
	defer client.Kill()

	_, err := client.Client()
	if err == nil {
		t.Fatal("a host speaking protocol 1 accepted a protocol 2 plugin")
	}
	msg := err.Error()
	for _, want := range []string{"Plugin version: 2", fmt.Sprintf("Client versions: [%d]", ProtocolVersion)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
}
