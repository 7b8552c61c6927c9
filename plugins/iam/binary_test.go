package iam

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

// bins holds the tokenplug-iam binary TestMain builds.
var bins = map[string]string{}

func TestMain(m *testing.M) {
	testbin.Main(m, bins, map[string]string{"iam": "./cmd/tokenplug-iam"})
}

func TestThePluginBinaryFetchesATokenFromTheEmulator(t *testing.T) {
	f := newFixture(t)
	f.iam.AddClient("bx", testSecret)
	pc := testbin.Launch(t, bins["iam"])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	desc, err := pc.Describe(ctx)
	if err != nil || desc.Name != "iam" || len(desc.Settings) != 4 {
		t.Fatalf("Describe = %+v, %v", desc, err)
	}
	err = pc.Configure(ctx, map[string]string{SettingAPIKey: testKey, SettingClientID: "bx"})
	var se plugin.SettingErrors
	if !errors.As(err, &se) || se[0].Key != SettingClientSecret {
		t.Fatalf("Configure with client_id alone = %v, want an error naming client_secret", err)
	}
	settings := map[string]string{
		SettingAPIKey: testKey, SettingTokenURL: f.ts.URL + "/identity/token",
		SettingClientID: "bx", SettingClientSecret: testSecret,
	}
	if err := pc.Configure(ctx, settings); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	tok, err := pc.Token(ctx, false)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if err := f.iam.Verify(tok.AccessToken); err != nil || tok.Type() != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute {
		t.Errorf("token type %q expiry %v verify %v", tok.Type(), tok.Expiry, err)
	}
}

func TestErrorClassesCrossThePluginBoundary(t *testing.T) {
	f := newFixture(t)
	pc := testbin.Launch(t, bins["iam"])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pc.Configure(ctx, map[string]string{SettingAPIKey: testKey, SettingTokenURL: f.ts.URL}); err != nil {
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
		f.iam.Faults.Set(tt.fault)
		_, err := pc.Token(ctx, false)
		if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), "tokenplug/iam") || strings.Contains(err.Error(), testKey) {
			t.Errorf("fault %+v: err = %v, want %v from tokenplug/iam without the key", tt.fault, err, tt.class)
		}
		if plugin.RetryAfterOf(err) != tt.fault.RetryAfter {
			t.Errorf("fault %+v: retry after %v", tt.fault, plugin.RetryAfterOf(err))
		}
	}
}

func TestDescribeCommandPrintsTheSchema(t *testing.T) {
	out, err := exec.Command(bins["iam"], "describe").Output()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Name     string `json:"name"`
		Settings []struct {
			Key    string `json:"key"`
			Secret bool   `json:"secret"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(out, &d); err != nil || d.Name != "iam" {
		t.Fatalf("describe = %s (%v)", out, err)
	}
	secret := map[string]bool{}
	for _, s := range d.Settings {
		secret[s.Key] = s.Secret
	}
	want := map[string]bool{"apikey": true, "token_url": false, "client_id": false, "client_secret": true}
	if fmt.Sprint(secret) != fmt.Sprint(want) {
		t.Errorf("settings = %v, want %v", secret, want)
	}
}
