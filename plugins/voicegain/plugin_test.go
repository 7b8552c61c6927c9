package voicegain_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
)

// bins holds the tokenplug-voicegain binary TestMain builds.
var bins = map[string]string{}

func TestMain(m *testing.M) {
	testbin.Main(m, bins, map[string]string{"voicegain": "./cmd/tokenplug-voicegain"})
}

// register starts a registry with the plugin binary registered as name
// "vg", as an application would, and closes it when the test ends.
func register(t *testing.T, settings map[string]string) *host.Source {
	t.Helper()
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { _ = reg.Close() })
	if err := reg.Register("vg", host.ProviderConfig{Path: bins["voicegain"], Hosts: []string{"127.0.0.1"}, Settings: settings}); err != nil {
		t.Fatal(err)
	}
	src, err := reg.Source("vg")
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestPluginBinaryServesShortLivedJWTsThatTheAPIAccepts(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(vg)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	console := vg.ConsoleJWT()
	src := register(t, map[string]string{
		"jwt": console, "mode": "short_lived", "api_url": srv.URL + "/v1", "audience": "*.example.com", "lifetime": "2m",
	})

	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if code := callASR(t, srv.Server, tok, "https://app.example.com"); code != 200 {
		t.Errorf("protected endpoint with the plugin's token: %d, want 200", code)
	}
	if tok.Expiry.IsZero() || tok.AccessToken == console {
		t.Errorf("token expiry %v; want a short-lived jwt with an expiry", tok.Expiry)
	}
	if again, err := src.Token(ctx); err != nil || again.AccessToken != tok.AccessToken || vg.Issued() != 1 {
		t.Errorf("second Token: %v, issued %d; want the cached token and one issued", err, vg.Issued())
	}

	// The console JWT is regenerated and the API starts refusing: the
	// caller sees a permanent error once the cached token is dropped.
	vg.RegenerateConsoleJWT()
	src.Invalidate(tok)
	_, err = src.Token(ctx)
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "tokenplug/voicegain") {
		t.Fatalf("after regenerating: err = %v, want permanent from tokenplug/voicegain", err)
	}
	if strings.Contains(err.Error(), console) {
		t.Error("error crossing the plugin boundary contains the console jwt")
	}
	t.Logf("the caller sees: %v", err)
}

func TestPluginBinaryStaticModeThroughTheHost(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(vg)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := register(t, map[string]string{"jwt": vg.ConsoleJWT()})

	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken != vg.ConsoleJWT() || !tok.Expiry.IsZero() {
		t.Errorf("got a token expiring %v; want the console jwt, never expiring", tok.Expiry)
	}
	if code := callASR(t, srv.Server, tok, ""); code != 200 {
		t.Errorf("protected endpoint with the console jwt: %d, want 200", code)
	}
}

func TestPluginBinaryReportsBadSettingsByKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	console := emulator.NewVoicegain().ConsoleJWT()
	src := register(t, map[string]string{"jwt": console, "mode": "short_lived", "lifetime": "forever"})

	_, err := src.Token(ctx)
	var se plugin.SettingErrors
	if !errors.As(err, &se) || len(se) != 2 || se[0].Key != "audience" || se[1].Key != "lifetime" {
		t.Fatalf("err = %v, want setting errors for audience and lifetime", err)
	}
	if strings.Contains(err.Error(), console) {
		t.Error("error contains the console jwt")
	}
}
