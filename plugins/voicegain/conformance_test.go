package voicegain_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
	"github.com/tokenplug/tokenplug/plugins/voicegain"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// shortLivedFor are mode short_lived settings for the Voicegain API at url.
func shortLivedFor(console string) func(url string) map[string]string {
	return func(url string) map[string]string {
		return map[string]string{"jwt": console, "mode": "short_lived", "api_url": url + "/v1", "audience": "*"}
	}
}

// upstream is a Voicegain emulator, faulted in mode short_lived with the
// standard faults and 200s holding a JWT that must be refused, as
// temporary, quoting no piece of it.
func upstream(t *testing.T) plugintest.Upstream {
	vg := emulator.NewVoicegain()
	tok := signedJWT(t, jwt.MapClaims{"iat": 1_700_000_600, "exp": 1_700_000_000, "sub": "LEAKEDTOKEN-0123456789"})
	long := signedJWT(t, jwt.MapClaims{"iat": 1_700_000_000, "exp": 1_800_000_000, "sub": "LEAKEDTOKEN-0123456789"})
	faults := append(plugintest.DefaultFaults(), plugintest.BadAnswers(map[string]string{
		"a JWT whose exp is before its iat": tok,
		"a JWT living over a year":          long,
	}, "")...)
	faults = append(faults, plugintest.BadAnswers(map[string]string{
		"truncated JSON":            `{"jwt":"` + tok,
		"a field of the wrong type": `{"token":"` + tok + `","jwt":5}`,
		"a JSON string, unclosed":   `"` + tok,
	}, tok)...)
	return plugintest.Upstream{
		Handler:     vg,
		Settings:    shortLivedFor(vg.ConsoleJWT()),
		Faults:      faults,
		ErrorPrefix: "tokenplug/voicegain: ",
		WithClient:  func(c *http.Client) plugin.Provider { return voicegain.Provider{Client: c} },
	}
}

// The plugin binary through the real host, in each mode: its token opens
// the emulator's protected endpoint.
func TestConformance(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(t, vg)
	console := vg.ConsoleJWT()
	up := upstream(t)
	plugintest.Run(t, plugintest.Config{
		Package: "./cmd/tokenplug-voicegain",
		Settings: map[string]string{
			"jwt": console, "mode": "short_lived", "api_url": srv.URL + "/v1", "audience": "*.example.com", "lifetime": "2m",
		},
		Upstream: &up,
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			if tok.Expiry.IsZero() || tok.AccessToken == console {
				t.Errorf("token expiry %v; want a short-lived jwt with an expiry", tok.Expiry)
			}
			if code := callASR(t, srv.Server, tok, "https://app.example.com"); code != http.StatusOK {
				t.Errorf("protected endpoint with the plugin's token: %d, want 200", code)
			}
		},
	})
	plugintest.Run(t, plugintest.Config{
		Package:  "./cmd/tokenplug-voicegain",
		Settings: map[string]string{"jwt": console},
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			if tok.AccessToken != console || !tok.Expiry.IsZero() {
				t.Errorf("got a token expiring %v; want the console jwt, never expiring", tok.Expiry)
			}
			if code := callASR(t, srv.Server, tok, ""); code != http.StatusOK {
				t.Errorf("protected endpoint with the console jwt: %d, want 200", code)
			}
		},
	})
}

func TestProviderConformance(t *testing.T) {
	vg := emulator.NewVoicegain()
	srv := newServer(t, vg)
	plugintest.RunProvider(t, voicegain.Provider{}, shortLivedFor(vg.ConsoleJWT())(srv.URL))
	plugintest.RunProvider(t, voicegain.Provider{}, map[string]string{"jwt": vg.ConsoleJWT()})
}

func TestUpstreamFailuresAreClassified(t *testing.T) {
	plugintest.RunFaults(t, voicegain.Provider{}, upstream(t))
}

func TestEveryBadSettingIsReportedAtOnce(t *testing.T) {
	console := emulator.NewVoicegain().ConsoleJWT()
	_, err := configure(t, map[string]string{"jwt": console, "mode": "short_lived", "lifetime": "forever"})
	var se plugin.SettingErrors
	if !errors.As(err, &se) || !slices.Equal([]string{se[0].Key, se[len(se)-1].Key}, []string{"audience", "lifetime"}) || len(se) != 2 {
		t.Fatalf("err = %v, want setting errors for audience and lifetime", err)
	}
	if strings.Contains(err.Error(), console) {
		t.Error("error contains the console jwt")
	}
}

func TestOnlyTheConsoleJWTIsSecret(t *testing.T) {
	plugintest.CheckSecretSettings(t, voicegain.Provider{}, map[string]bool{
		voicegain.KeyJWT: true, voicegain.KeyMode: false, voicegain.KeyAPIURL: false, voicegain.KeyAudience: false, voicegain.KeyLifetime: false,
	})
}
