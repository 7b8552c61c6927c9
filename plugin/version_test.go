package plugin_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// start starts the main package pkg as a host starts a plugin (through
// internal/launch, as host/process.go does).
func start(t *testing.T, pkg string) (launch.Conn, error) {
	t.Helper()
	bin, err := testbin.Build(t.TempDir(), "launched", pkg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{}
	p, conn, err := launch.Start(launch.Config{Cmd: cmd})
	if err == nil {
		t.Cleanup(p.Kill)
	}
	return conn, err
}

func TestAHostOfThisReleaseCompletesTheHandshake(t *testing.T) {
	conn, err := start(t, "../plugins/symphony/cmd/tokenplug-symphony")
	if err != nil {
		t.Fatal(err)
	}
	d, err := conn.Describe(t.Context())
	if err != nil || d.Name != "symphony" {
		t.Fatalf("describe over the plugin connection: %+v, %v", d, err)
	}
}

func TestAPluginBuiltForAnotherProtocolVersionIsRefusedNamingBoth(t *testing.T) {
	_, err := start(t, "./testdata/v2plugin")
	if err == nil {
		t.Fatal("a host speaking protocol 1 accepted a protocol 2 plugin")
	}
	msg := err.Error()
	for _, want := range []string{"Plugin version: 2", fmt.Sprintf("Client versions: [%d]", plugin.ProtocolVersion)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
}
