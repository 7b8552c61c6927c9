package azure

import (
	"cmp"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

const testKey = "az-Kq8Vm3Xr7Tb2Wn9Lp4Hd6Jf1Yc5Gs0" // random-looking: errors are searched for any 8 bytes of it

// fixture is an Azure emulator on loopback serving issueToken and a
// protected /speech resource, with testKey registered.
type fixture struct {
	az  *emulator.Azure
	ts  *httptest.Server
	rec *plugintest.Recorder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{az: emulator.NewAzure()}
	f.rec = &plugintest.Recorder{Handler: f.az}
	f.az.AddKey(testKey)
	f.ts = httptest.NewServer(speechMux(f.az, f.rec))
	t.Cleanup(f.ts.Close)
	return f
}

// speechMux routes as an Azure region does: POST issueToken to issue, and
// a /speech resource that opens to az's tokens and keys.
func speechMux(az *emulator.Azure, issue http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST "+issueTokenPath, issue)
	mux.Handle("/speech", az.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "recognized")
	})))
	return mux
}

// withKey returns settings holding testKey and the given key, value pairs.
func withKey(kv ...string) map[string]string {
	m := map[string]string{SettingSubscriptionKey: testKey}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// source configures the provider (through the schema, as Serve does) with
// settingsFor the fixture, overridden by extra.
func (f *fixture) source(t *testing.T, p Provider, extra map[string]string) oauth2.TokenSource {
	t.Helper()
	settings := settingsFor(f.ts.URL)
	maps.Copy(settings, extra)
	p.HTTPClient = cmp.Or(p.HTTPClient, f.ts.Client())
	return plugintest.MustConfigure(t, p, settings)
}

// callSpeech calls the protected resource with tok in the header tokenplug
// would use, and returns the status.
func (f *fixture) callSpeech(t *testing.T, tok *oauth2.Token) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/speech", nil)
	name, value := tokenplug.RequestHeader(tok)
	req.Header.Set(name, value)
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The token lasts its 10 minutes from its receipt on the local clock, even
// when Azure's clock, here 2 h behind, disagrees.
func TestTokenModeExchangesTheKeyAsDocumented(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_700_000_000, 0)
	f.az.Now = func() time.Time { return now.Add(-2 * time.Hour) }
	tok, err := f.source(t, Provider{now: func() time.Time { return now }}, nil).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.Type() != "Bearer" || plugin.HeaderOf(tok) != "" || !tok.Expiry.Equal(now.Add(10*time.Minute)) ||
		!plugin.RefreshAtOf(tok).Equal(now.Add(9*time.Minute)) {
		t.Errorf("type %q header %q expiry %v refresh_at %v", tok.Type(), plugin.HeaderOf(tok), tok.Expiry, plugin.RefreshAtOf(tok))
	}
	if status := f.callSpeech(t, tok); status != 200 {
		t.Errorf("speech resource answered %d to the bearer token", status)
	}
	req, body := f.rec.Last()
	if req.Method != http.MethodPost || req.Header.Get(KeyHeader) != testKey || req.ContentLength != 0 ||
		req.Header.Get("Content-Length") != "0" || body != "" || req.Header.Get("Authorization") != "" {
		t.Errorf("request %s length %d body %q headers %v", req.Method, req.ContentLength, body, req.Header)
	}
}

func TestRegionGivesTheCognitiveServicesURL(t *testing.T) {
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingSubscriptionKey: testKey, SettingRegion: "westeurope"})
	if got := ts.(*tokenSource).url; got != "https://westeurope.api.cognitive.microsoft.com/sts/v1.0/issueToken" {
		t.Errorf("url = %s", got)
	}
	ts = plugintest.MustConfigure(t, Provider{}, map[string]string{SettingSubscriptionKey: testKey, SettingRegion: "westeurope", SettingTokenURL: "https://chinaeast2.api.cognitive.azure.cn/sts/v1.0/issueToken"})
	if got := ts.(*tokenSource).url; got != "https://chinaeast2.api.cognitive.azure.cn/sts/v1.0/issueToken" {
		t.Errorf("token_url does not override region: url = %s", got)
	}
}

func TestKeyModeSendsTheKeyItselfWithoutARequest(t *testing.T) {
	f := newFixture(t)
	ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingSubscriptionKey: testKey, SettingMode: "key"})
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != testKey || plugin.HeaderOf(tok) != "Ocp-Apim-Subscription-Key" || !tok.Expiry.IsZero() {
		t.Errorf("token header %q expiry %v", plugin.HeaderOf(tok), tok.Expiry)
	}
	if status := f.callSpeech(t, tok); status != 200 {
		t.Errorf("speech resource answered %d to the key", status)
	}
	if f.az.Issued() != 0 {
		t.Errorf("key mode called issueToken %d times", f.az.Issued())
	}
}

func TestExpiryComesFromExpMinusIatElseExpElseTenMinutes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name, body        string
		expiry, refreshAt time.Time
	}{
		{"exp claim", plugintest.UnsignedJWT(`{"exp":1700000600}`), now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
		{"exp - iat on the local clock", plugintest.UnsignedJWT(`{"iat":1600000000,"exp":1600000600}`), now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
		{"no exp", plugintest.UnsignedJWT(`{"region":"westus"}`), now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
		{"a short exp keeps the 9:10 ratio", plugintest.UnsignedJWT(`{"exp":1700000100}`), now.Add(100 * time.Second), now.Add(90 * time.Second)},
		{"trailing newline", plugintest.UnsignedJWT(`{"exp":1700000600}`) + "\r\n", now.Add(10 * time.Minute), now.Add(9 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := plugintest.ServeBody(t, "", tt.body)
			ts, err := plugintest.Configure(t.Context(), Provider{HTTPClient: srv.Client(), now: func() time.Time { return now }},
				map[string]string{SettingSubscriptionKey: testKey, SettingTokenURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Expiry.Equal(tt.expiry) || !plugin.RefreshAtOf(tok).Equal(tt.refreshAt) || strings.ContainsAny(tok.AccessToken, "\r\n") {
				t.Errorf("expiry %v refresh_at %v, want %v %v", tok.Expiry, plugin.RefreshAtOf(tok), tt.expiry, tt.refreshAt)
			}
		})
	}
}

func TestConfigureNamesTheBadSetting(t *testing.T) {
	type row struct {
		name     string
		settings map[string]string
		key      string
	}
	// Settings missing a key, or bad together: a cloud and a region or
	// endpoint of another, endpoint with region or token_url.
	tests := []row{
		{"no subscription_key", map[string]string{SettingRegion: "westus"}, SettingSubscriptionKey},
		{"token mode without region or token_url", withKey(), SettingRegion},
		{"an unknown mode", withKey(SettingMode, "bearer", SettingRegion, "westus"), SettingMode},
		{"an unknown key", withKey(SettingRegion, "westus", "apikey", "x"), "apikey"},
		{"public region in Azure Government", withKey(SettingCloud, CloudUSGov, SettingRegion, "westus"), SettingRegion},
		{"China region in Azure Government", withKey(SettingCloud, CloudUSGov, SettingRegion, "chinanorth3"), SettingRegion},
		{"public region in Azure China", withKey(SettingCloud, CloudChina, SettingRegion, "eastus"), SettingRegion},
		{"an unknown cloud", withKey(SettingCloud, "germany", SettingRegion, "westus"), SettingCloud},
		{"an unknown cloud in key mode", withKey(SettingCloud, "germany", SettingMode, ModeKey), SettingCloud},
		{"a public endpoint in Azure Government", withKey(SettingCloud, CloudUSGov, SettingEndpoint, "https://r.cognitiveservices.azure.com"), SettingEndpoint},
		{"endpoint and region", withKey(SettingEndpoint, "https://r.cognitiveservices.azure.com", SettingRegion, "westus"), SettingEndpoint},
		{"endpoint and token_url", withKey(SettingEndpoint, "https://r.cognitiveservices.azure.com", SettingTokenURL, "https://westus.api.cognitive.microsoft.com/sts/v1.0/issueToken"), SettingEndpoint},
	}
	// Each of these sets one key to a bad value next to a good
	// subscription_key; the error must name that key. Regions and
	// endpoints of another cloud are among them (clouds_test.go has the
	// forms that work).
	for _, bad := range []struct{ name, key, value string }{
		{"a region with a dot", SettingRegion, "evil.com#"},
		{"a region with a host", SettingRegion, "attacker.example/x?"},
		{"an upper-case region", SettingRegion, "WestUS"},
		{"a region with a hyphen", SettingRegion, "west-us"},
		{"a relative token_url", SettingTokenURL, "/sts/v1.0/issueToken"},
		{"a token_url without scheme", SettingTokenURL, "westus.api.cognitive.microsoft.com/sts"},
		{"a plain http token_url to another host", SettingTokenURL, "http://example.com/sts/v1.0/issueToken"},
		{"Azure Government region in the public cloud", SettingRegion, "usgovvirginia"},
		{"DoD region in the public cloud", SettingRegion, "usdodeast"},
		{"Azure China region in the public cloud", SettingRegion, "chinaeast2"},
		{"a sovereign endpoint in the public cloud", SettingEndpoint, "https://r.cognitiveservices.azure.cn"},
		{"an endpoint of another host", SettingEndpoint, "https://attacker.example"},
		{"a lookalike endpoint", SettingEndpoint, "https://cognitiveservices.azure.com.attacker.example"},
		{"an endpoint with a path", SettingEndpoint, "https://r.cognitiveservices.azure.com/sts/v1.0/issueToken"},
		{"an endpoint with a query", SettingEndpoint, "https://r.cognitiveservices.azure.com?x=1"},
		{"an http endpoint", SettingEndpoint, "http://r.cognitiveservices.azure.com"},
	} {
		tests = append(tests, row{bad.name, withKey(bad.key, bad.value), bad.key})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plugintest.Configure(t.Context(), Provider{}, tt.settings)
			plugintest.CheckSettingError(t, err, tt.key, testKey)
		})
	}
	if _, err := (Provider{}).Configure(context.Background(), nil); err == nil || !strings.Contains(err.Error(), SettingSubscriptionKey) {
		t.Errorf("Configure(nil) = %v", err)
	}
	if _, err := plugintest.Configure(t.Context(), Provider{}, withKey(SettingMode, "key")); err != nil {
		t.Errorf("key mode needs no region: %v", err)
	}
}
