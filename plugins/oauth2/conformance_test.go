package oauth2

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/testbin"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// testSecret holds every character RFC 6749 §2.3.1's encoding changes.
const testSecret = "s3cr:et+/%&=~ x"

// basicSettings are settings for client_secret_basic against url.
func basicSettings(url string) map[string]string {
	return map[string]string{SettingTokenURL: url, SettingClientID: testClient, SettingClientSecret: testSecret, SettingScope: "read"}
}

// keySettings returns settings for private_key_jwt with key against url.
func keySettings(keyPEM string) func(url string) map[string]string {
	return func(url string) map[string]string {
		return map[string]string{SettingTokenURL: url + "/token", SettingClientID: testClient, SettingClientAuth: "private_key_jwt", SettingPrivateKey: keyPEM}
	}
}

// oauthFaults are RFC 6749 §5.2's error classes and the answers a client
// must refuse, after the SDK's default faults.
func oauthFaults() []plugintest.Fault {
	const tok = "ZZLEAKEDACCESSTOKENZZ0123456789"
	f := append(plugintest.DefaultFaults(),
		plugintest.Fault{Name: "invalid_grant", Status: 400, Body: `{"error":"invalid_grant","error_description":"grant expired"}`, Says: "invalid_grant: grant expired", Want: plugin.ErrPermanent},
		plugintest.Fault{Name: "invalid_scope", Status: 400, Body: `{"error":"invalid_scope"}`, Says: "invalid_scope", Want: plugin.ErrPermanent},
		plugintest.Fault{Name: "unauthorized_client", Status: 400, Body: `{"error":"unauthorized_client"}`, Says: "unauthorized_client", Want: plugin.ErrPermanent},
		plugintest.Fault{Name: "unsupported_grant_type", Status: 400, Body: `{"error":"unsupported_grant_type"}`, Says: "unsupported_grant_type", Want: plugin.ErrPermanent},
		plugintest.Fault{Name: "temporarily_unavailable in a 400", Status: 400, Body: `{"error":"temporarily_unavailable"}`, Says: "temporarily_unavailable", Want: plugin.ErrTemporary},
		plugintest.Fault{Name: "invalid_client in a 503", Status: 503, Body: `{"error":"invalid_client"}`, Want: plugin.ErrTemporary},
		plugintest.Fault{Name: "slow_down with Retry-After", Status: 400, RetryAfter: 9 * time.Second, Body: `{"error":"slow_down"}`, Says: "slow_down", Want: plugin.ErrRateLimited},
		plugintest.Fault{Name: "429 with a §5.2 body", Status: 429, RetryAfter: 4 * time.Second, Body: `{"error":"temporarily_unavailable"}`, Want: plugin.ErrRateLimited},
		plugintest.Fault{Name: "a 200 without access_token", Body: `{"token_type":"Bearer","expires_in":60}`, Says: "access_token", Want: plugin.ErrPermanent},
		plugintest.Fault{Name: "a 200 with token_type DPoP", Body: `{"access_token":"` + tok + `","token_type":"DPoP"}`, Secret: tok, Says: "DPoP", Want: plugin.ErrPermanent},
		plugintest.Fault{Name: "a 200 with token_type N_A", Body: `{"access_token":"` + tok + `","token_type":"N_A"}`, Secret: tok, Says: "N_A", Want: plugin.ErrPermanent},
		plugintest.Fault{Name: "a 200 holding a §5.2 error", Body: `{"error":"invalid_client"}`, Says: "invalid_client", Want: plugin.ErrPermanent},
	)
	return append(f, plugintest.BadAnswers(map[string]string{
		"expires_in not a number":  `{"access_token":"` + tok + `","token_type":"Bearer","expires_in":"soon"}`,
		"a negative expires_in":    `{"access_token":"` + tok + `","token_type":"Bearer","expires_in":-1}`,
		"expires_in over a year":   `{"access_token":"` + tok + `","token_type":"Bearer","expires_in":40000000}`,
		"a token with a newline":   `{"access_token":"` + tok + `\r\nX-Evil: 1","token_type":"Bearer"}`,
		"access_token as a number": `{"access_token":12345678901234567890,"token_type":"Bearer"}`,
	}, tok)...)
}

func upstream(as *testAS, settings func(string) map[string]string, wrong map[string]string) plugintest.Upstream {
	faults := append(oauthFaults(), plugintest.Fault{Name: "the server refuses the client", Settings: wrong, Says: "invalid_client", Want: plugin.ErrPermanent})
	return plugintest.Upstream{
		Handler: as, Settings: settings, Faults: faults, ErrorPrefix: "tokenplug/oauth2: ",
		WithClient: func(c *http.Client) plugin.Provider { return Provider{HTTPClient: c} },
	}
}

func checkToken(t *testing.T, tok *oauth2.Token) {
	if tok.Type() != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute {
		t.Errorf("token type %q expiry %v", tok.Type(), tok.Expiry)
	}
}

// The plugin binary through the real host: client_secret_basic, every
// fault.
func TestConformanceWithClientSecretBasic(t *testing.T) {
	as := newTestAS(testSecret, nil)
	srv := httptest.NewServer(as)
	defer srv.Close()
	up := upstream(as, basicSettings, map[string]string{SettingClientSecret: "wrong-secret-value"})
	plugintest.Run(t, plugintest.Config{Binary: testbin.Path("oauth2"), Settings: basicSettings(srv.URL), Upstream: &up, CheckToken: checkToken})
}

// The plugin binary through the real host: private_key_jwt (the key is a
// secret setting).
func TestConformanceWithPrivateKeyJWT(t *testing.T) {
	as := newTestAS("", &ecKey.PublicKey)
	srv := httptest.NewServer(as)
	defer srv.Close()
	settings := keySettings(pemOf(t, ecKey, true))
	up := upstream(as, settings, map[string]string{SettingPrivateKey: pemOf(t, otherECKey, false)})
	plugintest.Run(t, plugintest.Config{Binary: testbin.Path("oauth2"), Settings: settings(srv.URL), Upstream: &up, CheckToken: checkToken})
}

func TestProviderConformance(t *testing.T) {
	for name, settings := range map[string]func(string) map[string]string{
		"client_secret_basic": basicSettings, "private_key_jwt": keySettings(pemOf(t, rsaKey, false)),
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(newTestAS(testSecret, &rsaKey.PublicKey))
			defer srv.Close()
			plugintest.RunProvider(t, Provider{}, settings(srv.URL))
		})
	}
}

func TestEveryFaultGivesItsErrorClass(t *testing.T) {
	t.Run("client_secret_basic", func(t *testing.T) {
		plugintest.RunFaults(t, Provider{}, upstream(newTestAS(testSecret, nil), basicSettings, map[string]string{SettingClientSecret: "wrong-secret-value"}))
	})
	t.Run("private_key_jwt", func(t *testing.T) {
		plugintest.RunFaults(t, Provider{}, upstream(newTestAS("", &rsaKey.PublicKey), keySettings(pemOf(t, rsaKey, true)),
			map[string]string{SettingPrivateKey: pemOf(t, otherRSAKey, true)}))
	})
}

func TestSecretSettingsAreMarkedSecret(t *testing.T) {
	secret := map[string]bool{}
	for _, s := range settings {
		secret[s.Key] = false
	}
	secret[SettingClientSecret], secret[SettingPrivateKey], secret[SettingRefreshToken] = true, true, true
	plugintest.CheckSecretSettings(t, Provider{}, secret)
}
