package voicegain_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"go.uber.org/goleak"

	"github.com/tokenplug/tokenplug/internal/emulator"
	"github.com/tokenplug/tokenplug/plugin"
)

// pluginBin is the tokenplug-voicegain binary TestMain builds.
var pluginBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tokenplug-voicegain-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginBin = filepath.Join(dir, "tokenplug-voicegain")
	if out, err := exec.Command("go", "build", "-o", pluginBin, "./cmd/tokenplug-voicegain").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build plugin: %v\n%s", err, out)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { _ = os.RemoveAll(dir) }))
}

// launch starts the plugin binary as a host would and returns its client.
func launch(t *testing.T) *plugin.Client {
	t.Helper()
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: plugin.PluginSets(nil),
		Cmd:              exec.Command(pluginBin),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.NewNullLogger(),
	})
	t.Cleanup(c.Kill)
	rpc, err := c.Client()
	if err != nil {
		t.Fatalf("start plugin: %v", err)
	}
	raw, err := rpc.Dispense(plugin.PluginKey)
	if err != nil {
		t.Fatalf("dispense: %v", err)
	}
	return raw.(*plugin.Client)
}

func TestPluginBinaryServesShortLivedJWTsThatTheAPIAccepts(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(vg)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := launch(t)

	d, err := c.Describe(ctx)
	if err != nil || d.Name != "voicegain" {
		t.Fatalf("Describe = %+v, %v", d, err)
	}
	console := vg.ConsoleJWT()
	if err := c.Configure(ctx, map[string]string{
		"jwt": console, "mode": "short_lived", "api_url": srv.URL + "/v1", "audience": "*.example.com", "lifetime": "2m",
	}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	tok, err := c.Token(ctx, false)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if code := callASR(t, srv.Server, tok, "https://app.example.com"); code != 200 {
		t.Errorf("protected endpoint with the plugin's token: %d, want 200", code)
	}
	if tok.Expiry.IsZero() || tok.AccessToken == console {
		t.Errorf("token expiry %v; want a short-lived jwt with an expiry", tok.Expiry)
	}

	vg.RegenerateConsoleJWT()
	_, err = c.Token(ctx, true)
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "tokenplug/voicegain") {
		t.Fatalf("after regenerating: err = %v, want permanent from tokenplug/voicegain", err)
	}
	if strings.Contains(err.Error(), console) {
		t.Error("error crossing the plugin boundary contains the console jwt")
	}
}

func TestPluginBinaryReportsBadSettingsByKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := launch(t)
	console := emulator.NewVoicegain().ConsoleJWT()

	err := c.Configure(ctx, map[string]string{"jwt": console, "mode": "short_lived", "lifetime": "forever"})
	var se plugin.SettingErrors
	if !errors.As(err, &se) || len(se) != 2 || se[0].Key != "audience" || se[1].Key != "lifetime" {
		t.Fatalf("err = %v, want setting errors for audience and lifetime", err)
	}
	if strings.Contains(err.Error(), console) {
		t.Error("error contains the console jwt")
	}
}
