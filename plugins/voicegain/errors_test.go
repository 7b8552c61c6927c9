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
	srv := newServer(t, vg)
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
	srv := newServer(t, vg)
	ts := shortLived(t, nil, vg.ConsoleJWT(), srv.URL)

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
	type row struct {
		name     string
		settings map[string]string
		key      string
	}
	rows := []row{
		{"missing jwt", map[string]string{}, "jwt"},
		{"jwt with Bearer prefix", map[string]string{"jwt": "Bearer " + console}, "jwt"},
		{"jwt that is not a jwt", map[string]string{"jwt": "s3cr3t-api-key"}, "jwt"},
		{"expired console jwt", map[string]string{"jwt": expired}, "jwt"},
		{"unknown mode", map[string]string{"jwt": console, "mode": "dynamic"}, "mode"},
		{"audience in static mode", map[string]string{"jwt": console, "audience": "a.com"}, "audience"},
	}
	// Each short_lived row sets one key to a bad value in otherwise good
	// settings; the error must name that key.
	for _, bad := range []struct{ name, key, value string }{
		{"short_lived without audience", "audience", ""},
		{"audience that is a URL", "audience", "https://app.example.com"},
		{"audience with port 0", "audience", "localhost:0"},
		{"audience with an empty port", "audience", "localhost:"},
		{"audience with a port too big", "audience", "localhost:65536"},
		{"audience with a signed port", "audience", "localhost:+80"},
		{"audience over 128 characters", "audience", strings.Repeat("a", 61) + "." + strings.Repeat("b", 63) + ".com"},
		{"audience wildcard inside", "audience", "app.*.com"},
		{"audience bare wildcard suffix", "audience", "*."},
		{"lifetime not a duration", "lifetime", "ten minutes"},
		{"lifetime zero", "lifetime", "0s"},
		{"lifetime negative", "lifetime", "-5m"},
		{"lifetime under a second", "lifetime", "500ms"},
		// voicegain/python-sdk security_api.py: expInSec 1 to 3600.
		{"lifetime over an hour", "lifetime", "1h0m1s"},
		{"lifetime of a day", "lifetime", "24h"},
		{"api_url not http", "api_url", "ftp://api.voicegain.ai/v1"},
		{"api_url plain http to a remote host", "api_url", "http://api.voicegain.ai/v1"},
		{"api_url relative", "api_url", "/v1"},
	} {
		s := map[string]string{"jwt": console, "mode": "short_lived", "audience": "app.example.com"}
		s[bad.key] = bad.value
		rows = append(rows, row{bad.name, s, bad.key})
	}
	for _, tc := range rows {
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
