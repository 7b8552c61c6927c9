package iam

import (
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// settingsFor are settings for the IAM endpoint at url, with client
// credentials so that every secret setting is in play.
func settingsFor(url string) map[string]string {
	return map[string]string{
		SettingAPIKey: testKey, SettingTokenURL: url + "/identity/token",
		SettingClientID: "bx", SettingClientSecret: testSecret,
	}
}

// upstream is an IAM emulator that knows testKey and the client bx, with
// IAM's own faults after the standard ones.
func upstream() plugintest.Upstream {
	e := emulator.NewIAM()
	e.AddAPIKey(testKey)
	e.AddClient("bx", testSecret)
	return plugintest.Upstream{
		Handler:  e,
		Settings: settingsFor,
		Faults: append(append(plugintest.DefaultFaults(), plugintest.BadAnswers(badBodies, leakedToken)...),
			plugintest.Fault{Name: "a 200 without access_token", Body: `{"token_type":"Bearer","expires_in":3600}`,
				Says: "access_token", Want: plugin.ErrTemporary},
			plugintest.Fault{Name: "a 200 with expires_in as a string, named", Body: badBodies["expires_in as a string"],
				Secret: leakedToken, Says: "expires_in", Want: plugin.ErrTemporary},
			// IAM's own refusal: permanent, and it says why.
			plugintest.Fault{Name: "an unknown API key", Settings: map[string]string{SettingAPIKey: "not-registered-key"},
				Says: "BXNIM0415E", Want: plugin.ErrPermanent}),
		ErrorPrefix: "tokenplug/iam: ",
		WithClient:  func(c *http.Client) plugin.Provider { return Provider{HTTPClient: c} },
	}
}

// The plugin binary through the real host, token and faults.
func TestConformance(t *testing.T) {
	f := newFixture(t)
	f.iam.AddClient("bx", testSecret)
	up := upstream()
	plugintest.Run(t, plugintest.Config{
		Package:  "./cmd/tokenplug-iam",
		Settings: settingsFor(f.ts.URL),
		Upstream: &up,
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			if err := f.iam.Verify(tok.AccessToken); err != nil || tok.Type() != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute {
				t.Errorf("token type %q expiry %v verify %v", tok.Type(), tok.Expiry, err)
			}
		},
	})
}

func TestProviderConformance(t *testing.T) {
	f := newFixture(t)
	f.iam.AddClient("bx", testSecret)
	plugintest.RunProvider(t, Provider{}, settingsFor(f.ts.URL))
}

func TestEveryFaultGivesItsErrorClass(t *testing.T) {
	plugintest.RunFaults(t, Provider{}, upstream())
}

func TestSecretSettingsAreMarkedSecret(t *testing.T) {
	plugintest.CheckSecretSettings(t, Provider{}, map[string]bool{
		SettingAPIKey: true, SettingTokenURL: false, SettingClientID: false, SettingClientSecret: true, SettingScope: false,
	})
}
