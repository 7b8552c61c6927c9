package azure

import (
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

// badTokens are 200 bodies, each a JWT-looking token, that must be refused.
var badTokens = map[string]string{
	"exp before iat":           plugintest.UnsignedJWT(`{"iat":1700000600,"exp":1700000000,"sub":"LEAKEDTOKEN-0123456789"}`),
	"a lifetime over a year":   plugintest.UnsignedJWT(`{"iat":1700000000,"exp":1800000000,"sub":"LEAKEDTOKEN-0123456789"}`),
	"an exp before 1970":       plugintest.UnsignedJWT(`{"exp":-100,"sub":"LEAKEDTOKEN-0123456789"}`),
	"an overflowing exp":       plugintest.UnsignedJWT(`{"exp":1e300,"sub":"LEAKEDTOKEN-0123456789"}`),
	"not a JWT":                "LEAKEDTOKEN-0123456789.not-base64!.x",
	"exp as a string":          plugintest.UnsignedJWT(`{"exp":"soon","sub":"LEAKEDTOKEN-0123456789"}`),
	"claims that are not JSON": plugintest.UnsignedJWT(`LEAKEDTOKEN-0123456789`),
}

// upstream is an Azure emulator that knows testKey, with Azure's own bad
// 200s, and its refusal of a key it does not know, after the standard
// faults.
func upstream() plugintest.Upstream {
	e := emulator.NewAzure()
	e.AddKey(testKey)
	return plugintest.Upstream{
		Handler:  e,
		Settings: settingsFor,
		Faults: append(append(plugintest.DefaultFaults(), plugintest.BadAnswers(badTokens, "")...),
			plugintest.Fault{Name: "a JWT whose exp is before its iat, named",
				Body: badTokens["exp before iat"], Secret: badTokens["exp before iat"], Says: "lifetime", Want: plugin.ErrTemporary},
			// Azure's own refusal: permanent, and it quotes Azure.
			plugintest.Fault{Name: "an unknown subscription key", Settings: map[string]string{SettingSubscriptionKey: "not-registered"},
				Says: "invalid subscription key", Want: plugin.ErrPermanent}),
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
	plugintest.CheckSecretSettings(t, Provider{}, map[string]bool{
		SettingSubscriptionKey: true, SettingRegion: false, SettingTokenURL: false, SettingMode: false, SettingCloud: false, SettingEndpoint: false,
		SettingTenantID: false, SettingClientID: false, SettingClientSecret: true, SettingClientCertificateFile: false,
		SettingFederatedTokenFile: false, SettingScope: false, SettingChallengeScopes: false,
	})
	// Only mode and cloud have defaults: the schema fills in nothing else.
	got, err := plugin.ApplySchema(Provider{}.Describe(), map[string]string{SettingSubscriptionKey: "k"})
	want := map[string]string{SettingSubscriptionKey: "k", SettingMode: ModeToken, SettingCloud: CloudPublic}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("settings with the schema's defaults = %v (%v), want %v", got, err, want)
	}
}
