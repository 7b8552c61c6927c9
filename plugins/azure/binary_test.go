package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// bins holds the tokenplug-azure binary TestMain builds.
var bins = map[string]string{}

func TestMain(m *testing.M) {
	testbin.Main(m, bins, map[string]string{"azure": "./cmd/tokenplug-azure"})
}

func TestThePluginBinaryFetchesATokenFromTheEmulator(t *testing.T) {
	f := newFixture(t)
	pc := testbin.Launch(t, bins["azure"])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	desc, err := pc.Describe(ctx)
	if err != nil || desc.Name != "azure" || len(desc.Settings) != 4 {
		t.Fatalf("Describe = %+v, %v", desc, err)
	}
	err = pc.Configure(ctx, map[string]string{SettingSubscriptionKey: testKey, SettingRegion: "evil.example/"})
	var se plugin.SettingErrors
	if !errors.As(err, &se) || se[0].Key != SettingRegion {
		t.Fatalf("Configure with a bad region = %v, want an error naming region", err)
	}
	if err := pc.Configure(ctx, map[string]string{SettingSubscriptionKey: testKey, SettingTokenURL: f.tokenURL()}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	tok, err := pc.Token(ctx, false)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if err := f.az.Verify(tok.AccessToken); err != nil || tok.Type() != "Bearer" || time.Until(tok.Expiry) < 9*time.Minute ||
		tok.Expiry.Sub(plugin.RefreshAtOf(tok)) < 55*time.Second {
		t.Errorf("token type %q expiry %v refresh_at %v verify %v", tok.Type(), tok.Expiry, plugin.RefreshAtOf(tok), err)
	}
	if status := f.callSpeech(t, tok); status != 200 {
		t.Errorf("speech resource answered %d", status)
	}

	if err := pc.Configure(ctx, map[string]string{SettingSubscriptionKey: testKey, SettingMode: ModeKey}); err != nil {
		t.Fatalf("Configure key mode: %v", err)
	}
	tok, err = pc.Token(ctx, false)
	if err != nil || plugin.HeaderOf(tok) != KeyHeader || !tok.Expiry.IsZero() {
		t.Fatalf("key mode token header %q expiry %v err %v", plugin.HeaderOf(tok), tok.Expiry, err)
	}
	if status := f.callSpeech(t, tok); status != 200 {
		t.Errorf("speech resource answered %d to the key", status)
	}
}

func TestErrorClassesCrossThePluginBoundary(t *testing.T) {
	f := newFixture(t)
	pc := testbin.Launch(t, bins["azure"])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pc.Configure(ctx, map[string]string{SettingSubscriptionKey: testKey, SettingTokenURL: f.tokenURL()}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fault emulator.Fault
		class error
	}{
		{emulator.Fault{Status: 401}, plugin.ErrPermanent},
		{emulator.Fault{Status: 503}, plugin.ErrTemporary},
		{emulator.Fault{Status: 429, RetryAfter: 3 * time.Second}, plugin.ErrRateLimited},
		{emulator.Fault{Garbage: true}, plugin.ErrTemporary},
		{emulator.Fault{BodySize: 10 << 20}, plugin.ErrTemporary},
	}
	for _, tt := range tests {
		f.az.Faults.Set(tt.fault)
		_, err := pc.Token(ctx, false)
		if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), "tokenplug/azure") || strings.Contains(err.Error(), testKey) {
			t.Errorf("fault %+v: err = %v, want %v from tokenplug/azure without the key", tt.fault, err, tt.class)
		}
		if plugin.RetryAfterOf(err) != tt.fault.RetryAfter {
			t.Errorf("fault %+v: retry after %v", tt.fault, plugin.RetryAfterOf(err))
		}
	}
}

func TestDescribeCommandPrintsTheSchema(t *testing.T) {
	out, err := exec.Command(bins["azure"], "describe").Output()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Name     string `json:"name"`
		Settings []struct {
			Key     string `json:"key"`
			Secret  bool   `json:"secret"`
			Default string `json:"default"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(out, &d); err != nil || d.Name != "azure" {
		t.Fatalf("describe = %s (%v)", out, err)
	}
	got := map[string]string{}
	for _, s := range d.Settings {
		got[s.Key] = fmt.Sprint(s.Secret, "/", s.Default)
	}
	want := map[string]string{"subscription_key": "true/", "region": "false/", "token_url": "false/", "mode": "false/token"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("settings = %v, want %v", got, want)
	}
}
