package azure

import (
	"fmt"
	"maps"
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

// settingsFor are token mode settings for the issueToken endpoint at url.
func settingsFor(url string) map[string]string {
	return map[string]string{SettingSubscriptionKey: testKey, SettingTokenURL: url + "/sts/v1.0/issueToken"}
}

// upstream is an Azure emulator that knows testKey, with a bad 200 of
// Azure's own after the standard faults.
func upstream() plugintest.Upstream {
	e := emulator.NewAzure()
	e.AddKey(testKey)
	return plugintest.Upstream{
		Handler:  e,
		Settings: settingsFor,
		Faults: append(append(plugintest.DefaultFaults(), plugintest.BadAnswers(badTokens, "")...), plugintest.Fault{Name: "a JWT whose exp is before its iat, named",
			Body: badTokens["exp before iat"], Secret: badTokens["exp before iat"], Says: "lifetime", Want: plugin.ErrTemporary}),
		ErrorPrefix: "tokenplug/azure: ",
		WithClient:  func(c *http.Client) plugin.Provider { return Provider{HTTPClient: c} },
	}
}

// The plugin binary through the real host, in each mode: the token, or the
// key, opens the protected resource.
func TestConformance(t *testing.T) {
	f := newFixture(t)
	up := upstream()
	plugintest.Run(t, plugintest.Config{
		Package:  "./cmd/tokenplug-azure",
		Settings: settingsFor(f.ts.URL),
		Upstream: &up,
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			if err := f.az.Verify(tok.AccessToken); err != nil || tok.Type() != "Bearer" || time.Until(tok.Expiry) < 9*time.Minute ||
				tok.Expiry.Sub(plugin.RefreshAtOf(tok)) < 55*time.Second {
				t.Errorf("token type %q expiry %v refresh_at %v verify %v", tok.Type(), tok.Expiry, plugin.RefreshAtOf(tok), err)
			}
			if status := f.callSpeech(t, tok); status != http.StatusOK {
				t.Errorf("speech resource answered %d", status)
			}
		},
	})
	issued := f.az.Issued()
	plugintest.Run(t, plugintest.Config{
		Package:  "./cmd/tokenplug-azure",
		Settings: map[string]string{SettingSubscriptionKey: testKey, SettingMode: ModeKey},
		CheckToken: func(t *testing.T, tok *oauth2.Token) {
			if plugin.HeaderOf(tok) != KeyHeader || !tok.Expiry.IsZero() {
				t.Errorf("key mode token header %q expiry %v", plugin.HeaderOf(tok), tok.Expiry)
			}
			if status := f.callSpeech(t, tok); status != http.StatusOK {
				t.Errorf("speech resource answered %d to the key", status)
			}
		},
	})
	if issued == 0 || f.az.Issued() != issued {
		t.Errorf("issueToken called %d times in token mode, %d in key mode; want some, then none", issued, f.az.Issued()-issued)
	}
}

func TestProviderConformance(t *testing.T) {
	f := newFixture(t)
	plugintest.RunProvider(t, Provider{}, settingsFor(f.ts.URL))
	plugintest.RunProvider(t, Provider{}, map[string]string{SettingSubscriptionKey: testKey, SettingMode: ModeKey})
}

func TestEveryFaultGivesItsErrorClass(t *testing.T) {
	plugintest.RunFaults(t, Provider{}, upstream())
}

func TestTheSchemaMarksTheKeySecretAndDefaultsToTokenMode(t *testing.T) {
	got := map[string]string{}
	for _, s := range (Provider{}).Describe().Settings {
		got[s.Key] = fmt.Sprint(s.Secret, "/", s.Default)
	}
	want := map[string]string{SettingSubscriptionKey: "true/", SettingRegion: "false/", SettingTokenURL: "false/", SettingMode: "false/token",
		SettingCloud: "false/public", SettingEndpoint: "false/"}
	if !maps.Equal(got, want) {
		t.Errorf("settings = %v, want %v", got, want)
	}
}
