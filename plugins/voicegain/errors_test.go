package voicegain_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

func TestRevokedConsoleJWTIsAPermanentError(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(vg)
	defer srv.Close()
	old := vg.ConsoleJWT()
	ts := mustConfigure(t, map[string]string{"jwt": old, "mode": "short_lived", "api_url": srv.URL + "/v1", "audience": "app.example.com"})
	if _, err := ts.Token(); err != nil {
		t.Fatalf("before regenerating: %v", err)
	}

	vg.RegenerateConsoleJWT()
	_, err := ts.Token()
	if !errors.Is(err, plugin.ErrPermanent) {
		t.Fatalf("err = %v, want permanent", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "tokenplug/voicegain: ") || !strings.Contains(msg, "401") || !strings.Contains(msg, "regenerat") {
		t.Errorf("error %q should name the provider, the 401 and the likely cause", msg)
	}
	if strings.Contains(msg, old) {
		t.Error("error contains the console jwt")
	}
}

func TestTokenContextHonoursCancellation(t *testing.T) {
	vg := emulator.NewVoicegain()
	vg.Faults.Set(emulator.Fault{Latency: time.Hour}) // cut short when the client gives up
	srv := newServer(vg)
	defer srv.Close()
	ts := mustConfigure(t, map[string]string{"jwt": vg.ConsoleJWT(), "mode": "short_lived", "api_url": srv.URL + "/v1", "audience": "*"})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ts.(plugin.ContextTokenSource).TokenContext(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestConfigureNamesTheBadSettingAndNeverThePassword(t *testing.T) {
	console := emulator.NewVoicegain().ConsoleJWT()
	expired := signedJWT(t, jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()})
	short := func(extra map[string]string) map[string]string {
		s := map[string]string{"jwt": console, "mode": "short_lived", "audience": "app.example.com"}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		settings map[string]string
		key      string
	}{
		{"missing jwt", map[string]string{}, "jwt"},
		{"jwt with Bearer prefix", map[string]string{"jwt": "Bearer " + console}, "jwt"},
		{"jwt that is not a jwt", map[string]string{"jwt": "s3cr3t-api-key"}, "jwt"},
		{"expired console jwt", map[string]string{"jwt": expired}, "jwt"},
		{"unknown mode", map[string]string{"jwt": console, "mode": "dynamic"}, "mode"},
		{"audience in static mode", map[string]string{"jwt": console, "audience": "a.com"}, "audience"},
		{"short_lived without audience", short(map[string]string{"audience": ""}), "audience"},
		{"audience that is a URL", short(map[string]string{"audience": "https://app.example.com"}), "audience"},
		{"audience with port 0", short(map[string]string{"audience": "localhost:0"}), "audience"},
		{"audience with an empty port", short(map[string]string{"audience": "localhost:"}), "audience"},
		{"audience with a port too big", short(map[string]string{"audience": "localhost:65536"}), "audience"},
		{"audience with a signed port", short(map[string]string{"audience": "localhost:+80"}), "audience"},
		{"audience over 128 characters", short(map[string]string{"audience": strings.Repeat("a", 61) + "." + strings.Repeat("b", 63) + ".com"}), "audience"},
		{"audience wildcard inside", short(map[string]string{"audience": "app.*.com"}), "audience"},
		{"audience bare wildcard suffix", short(map[string]string{"audience": "*."}), "audience"},
		{"lifetime not a duration", short(map[string]string{"lifetime": "ten minutes"}), "lifetime"},
		{"lifetime zero", short(map[string]string{"lifetime": "0s"}), "lifetime"},
		{"lifetime negative", short(map[string]string{"lifetime": "-5m"}), "lifetime"},
		{"lifetime under a second", short(map[string]string{"lifetime": "500ms"}), "lifetime"},
		// voicegain/python-sdk security_api.py: expInSec 1 to 3600.
		{"lifetime over an hour", short(map[string]string{"lifetime": "1h0m1s"}), "lifetime"},
		{"lifetime of a day", short(map[string]string{"lifetime": "24h"}), "lifetime"},
		{"api_url not http", short(map[string]string{"api_url": "ftp://api.voicegain.ai/v1"}), "api_url"},
		{"api_url plain http to a remote host", short(map[string]string{"api_url": "http://api.voicegain.ai/v1"}), "api_url"},
		{"api_url relative", short(map[string]string{"api_url": "/v1"}), "api_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configure(t, tc.settings)
			plugintest.CheckSettingError(t, err, tc.key, console, expired, "s3cr3t-api-key")
		})
	}
}

func TestConfigureAcceptsEveryAudienceForm(t *testing.T) {
	console := emulator.NewVoicegain().ConsoleJWT()
	for _, aud := range []string{"*", "*.example.com", "app.example.com", "localhost", "xn--bcher-kva.example",
		"localhost:8088", "app.example.com:443", "*.example.com:8443", strings.Repeat("a", 60) + "." + strings.Repeat("b", 63) + ".com"} {
		if _, err := configure(t, map[string]string{"jwt": console, "mode": "short_lived", "audience": aud}); err != nil {
			t.Errorf("audience %q: %v", aud, err)
		}
	}
}
