package iam

import (
	"bytes"
	"context"
	"errors"
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
	settings := map[string]string{SettingAPIKey: testKey, SettingTokenURL: f.ts.URL + "/identity/token"}
	if err := reg.Register("watson", host.ProviderConfig{Plugin: "iam", Path: bins["iam"], Settings: settings}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register("bad-key", host.ProviderConfig{Plugin: "iam", Path: bins["iam"],
		Settings: map[string]string{SettingAPIKey: testKey + "-revoked", SettingTokenURL: f.ts.URL}}); err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source("watson")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if err := f.iam.Verify(tok.AccessToken); err != nil {
		t.Errorf("emulator rejects the host's token: %v", err)
	}
	if _, err := src.Token(ctx); err != nil || f.iam.Issued() != 1 {
		t.Errorf("second Token: %v, issued %d; want the host's cached token", err, f.iam.Issued())
	}

	_, err = reg.Token(ctx, "bad-key")
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "BXNIM0415E") {
		t.Errorf("bad key through the host: %v, want permanent BXNIM0415E", err)
	}
	for _, text := range []string{err.Error(), logs.String()} {
		if strings.Contains(text, testKey) {
			t.Errorf("the API key leaked: %s", text)
		}
	}
}
