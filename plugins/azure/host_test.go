package azure

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/plugin"
)

func TestAHostRegistryGetsATokenThroughThePlugin(t *testing.T) {
	f := newFixture(t)
	var logs bytes.Buffer
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	defer reg.Close()
	for name, extra := range map[string]map[string]string{
		"speech":     {SettingTokenURL: f.tokenURL()},
		"speech-key": {SettingMode: ModeKey},
	} {
		extra[SettingSubscriptionKey] = testKey
		if err := reg.Register(name, host.ProviderConfig{Plugin: "azure", Path: bins["azure"], Settings: extra}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range []string{"speech", "speech-key"} {
		tok, err := reg.Token(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if status := f.callSpeech(t, tok); status != 200 {
			t.Errorf("%s: speech resource answered %d (header %q)", name, status, plugin.HeaderOf(tok))
		}
	}
	if f.az.Issued() != 1 {
		t.Errorf("issueToken called %d times, want 1 (token mode only)", f.az.Issued())
	}
	if strings.Contains(logs.String(), testKey) {
		t.Error("the subscription key is in the host's logs")
	}
}
